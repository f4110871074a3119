//! The OpenAPI 3.0 document of the OGC API at `/ogc/api` (the landing page's
//! `service-desc`). QGIS reads the `limit` parameter's maximum and default from it, so the
//! item parameters are written out in full on the items path, not only by reference.

use serde_json::{Value, json};

use super::request::{LIMIT_DEFAULT, LIMIT_MAX};

/// The media type of the document.
pub(crate) const MEDIA_TYPE: &str = "application/vnd.oai.openapi+json;version=3.0";

fn param(name: &str, location: &str, description: &str, schema: Value) -> Value {
    json!({
        "name": name,
        "in": location,
        "required": location == "path",
        "description": description,
        "style": if location == "path" { "simple" } else { "form" },
        "explode": false,
        "schema": schema,
    })
}

fn f_param() -> Value {
    param(
        "f",
        "query",
        "The representation: json (geojson for items) or html. Without it, the Accept header decides.",
        json!({ "type": "string", "enum": ["json", "geojson", "html"] }),
    )
}

fn collection_id() -> Value {
    param(
        "collectionId",
        "path",
        "A collection: areas-{layer}, hexes-r{resolution} or incidents.",
        json!({ "type": "string" }),
    )
}

/// The parameters of `/items`: the standard ones, then lagesbild's own.
fn item_params() -> Vec<Value> {
    vec![
        collection_id(),
        param(
            "limit",
            "query",
            "The largest number of features in a page. Larger values are clamped to the maximum.",
            json!({ "type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": LIMIT_DEFAULT }),
        ),
        param(
            "offset",
            "query",
            "The number of features to skip (the next and prev links carry it).",
            json!({ "type": "integer", "minimum": 0, "default": 0 }),
        ),
        param(
            "bbox",
            "query",
            "Only features intersecting min_lon,min_lat,max_lon,max_lat (WGS 84).",
            json!({ "type": "array", "minItems": 4, "maxItems": 4, "items": { "type": "number" } }),
        ),
        param(
            "datetime",
            "query",
            "An RFC 3339 instant or interval (A/B, ../B, A/..). For incidents it filters occurred_at \
             (both ends included). For the score collections it is the analysis window: an interval \
             is a custom window (end exclusive; an open start is the first incident, an open end is \
             now), an instant selects the ISO week containing it.",
            json!({ "type": "string" }),
        ),
        param(
            "window",
            "query",
            "Score collections only: the analysis window as 2026-W47, 2026-T3, 2026-11, 2026 or FROM/TO. \
             Default: the last complete ISO week. Not together with datetime.",
            json!({ "type": "string" }),
        ),
        param(
            "category",
            "query",
            "Score collections only: category codes or labels, comma-separated.",
            json!({ "type": "string" }),
        ),
        param(
            "group",
            "query",
            "Score collections only: category groups (crime, disorder, safety), comma-separated.",
            json!({ "type": "string" }),
        ),
        param(
            "partner",
            "query",
            "Score collections only: partner codes, comma-separated.",
            json!({ "type": "string" }),
        ),
        f_param(),
    ]
}

fn ok(description: &str, media: &[&str]) -> Value {
    let content: serde_json::Map<String, Value> = media
        .iter()
        .map(|m| ((*m).to_owned(), json!({ "schema": { "type": "object" } })))
        .collect();
    json!({
        "200": { "description": description, "content": content },
        "400": { "description": "A parameter is invalid; the error names it." },
        "404": { "description": "No such collection or feature." },
    })
}

fn get(summary: &str, id: &str, params: Vec<Value>, responses: Value) -> Value {
    json!({ "get": { "summary": summary, "operationId": id, "parameters": params, "responses": responses } })
}

/// The document; `server` is the absolute URL of `/ogc`.
pub(crate) fn document(server: &str) -> Value {
    let json_html = ["application/json", "text/html"];
    let geojson_html = ["application/geo+json", "text/html"];
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "lagesbild OGC API - Features",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Hotspot scores per area and per H3 cell, and incident points, as OGC API - Features Part 1 (Core).",
            "license": { "name": "see the lagesbild repository" },
        },
        "servers": [{ "url": server }],
        "paths": {
            "/": get("Landing page", "getLandingPage", vec![f_param()], ok("Links to the API, conformance and collections.", &json_html)),
            "/api": get("This document", "getAPI", vec![f_param()], ok("The OpenAPI document.", &[MEDIA_TYPE, "text/html"])),
            "/conformance": get("Conformance classes", "getConformance", vec![f_param()], ok("The conformance classes.", &json_html)),
            "/collections": get("The collections", "getCollections", vec![f_param()], ok("The collections.", &json_html)),
            "/collections/{collectionId}": get("One collection", "describeCollection", vec![collection_id(), f_param()], ok("The collection.", &json_html)),
            "/collections/{collectionId}/items": get("The features of a collection", "getFeatures", item_params(), ok("A page of features.", &geojson_html)),
            "/collections/{collectionId}/items/{featureId}": get(
                "One feature",
                "getFeature",
                {
                    let mut p = vec![
                        collection_id(),
                        param("featureId", "path", "The feature id: area id, H3 cell, or partner:id.", json!({ "type": "string" })),
                    ];
                    p.extend(item_params().into_iter().skip(4));
                    p
                },
                ok("The feature.", &geojson_html),
            ),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_declared_with_its_bounds() {
        let doc = document("http://x/ogc");
        let params = doc["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!(limit["schema"]["minimum"], 1);
        assert_eq!(limit["schema"]["maximum"], 10_000);
        assert_eq!(limit["schema"]["default"], 10);
    }
}
