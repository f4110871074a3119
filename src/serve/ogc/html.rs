//! The HTML representation of OGC API responses: the same JSON document, rendered as a
//! plain readable page (links as anchors, objects as tables, features as a table of their
//! properties). All text is escaped; geometry coordinates are left out.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Escapes text for HTML content and attribute values (the same rules as XML).
pub(crate) use crate::report::map_svg::xml_escape as escape;

/// A complete page for `doc` under the heading `title`. Feature ids link to
/// `{item_base}/{id}` when `item_base` is given.
pub(crate) fn page(title: &str, doc: &Value, item_base: Option<&str>) -> Response {
    let mut body = String::new();
    render(doc, item_base, &mut body);
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · lagesbild</title>\
         <style>body{{font-family:sans-serif;margin:1em 2em}}table{{border-collapse:collapse}}\
         th,td{{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}}\
         th{{background:#f4f4f4}}</style></head>\
         <body><h1>{t}</h1>{body}</body></html>\n",
        t = escape(title)
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

fn is_link(v: &Value) -> bool {
    v.get("href").is_some_and(Value::is_string)
}

fn is_feature(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("Feature")
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => {
            format!("<a href=\"{0}\">{0}</a>", escape(s))
        }
        Value::String(s) => escape(s),
        other => escape(&other.to_string()),
    }
}

fn link(v: &Value, out: &mut String) {
    let href = v.get("href").and_then(Value::as_str).unwrap_or("");
    let text = v
        .get("title")
        .and_then(Value::as_str)
        .or_else(|| v.get("rel").and_then(Value::as_str))
        .unwrap_or(href);
    out.push_str(&format!(
        "<a href=\"{}\">{}</a>",
        escape(href),
        escape(text)
    ));
    let mut notes = Vec::new();
    for key in ["rel", "type"] {
        if let Some(s) = v.get(key).and_then(Value::as_str) {
            notes.push(format!("{key}: {}", escape(s)));
        }
    }
    if !notes.is_empty() {
        out.push_str(&format!(" <small>({})</small>", notes.join(", ")));
    }
}

fn features(list: &[Value], item_base: Option<&str>, out: &mut String) {
    let mut columns: Vec<String> = Vec::new();
    for f in list {
        if let Some(p) = f.get("properties").and_then(Value::as_object) {
            for k in p.keys() {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
    }
    out.push_str("<table><tr><th>id</th><th>geometry</th>");
    for c in &columns {
        out.push_str(&format!("<th>{}</th>", escape(c)));
    }
    out.push_str("</tr>");
    for f in list {
        let id = match f.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let id_cell = match item_base {
            Some(base) if !id.is_empty() => format!(
                "<a href=\"{}/{}\">{}</a>",
                escape(base),
                escape(&super::request::encode(&id)),
                escape(&id)
            ),
            _ => escape(&id),
        };
        let geometry = f
            .get("geometry")
            .and_then(|g| g.get("type"))
            .map(scalar)
            .unwrap_or_default();
        out.push_str(&format!("<tr><td>{id_cell}</td><td>{geometry}</td>"));
        for c in &columns {
            let v = f
                .get("properties")
                .and_then(|p| p.get(c))
                .unwrap_or(&Value::Null);
            out.push_str("<td>");
            match v {
                Value::Object(_) | Value::Array(_) => render(v, None, out),
                other => out.push_str(&scalar(other)),
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
}

fn render(v: &Value, item_base: Option<&str>, out: &mut String) {
    match v {
        Value::Object(_) if is_link(v) => link(v, out),
        Value::Object(map) if is_feature(v) => {
            features(std::slice::from_ref(v), None, out);
            if let Some(links) = map.get("links") {
                render(links, None, out);
            }
        }
        Value::Object(map) => {
            out.push_str("<table>");
            for (k, v) in map {
                if k == "coordinates" {
                    continue;
                }
                out.push_str(&format!("<tr><th>{}</th><td>", escape(k)));
                render(v, item_base, out);
                out.push_str("</td></tr>");
            }
            out.push_str("</table>");
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(is_feature) => {
            features(items, item_base, out);
        }
        Value::Array(items) => {
            out.push_str("<ul>");
            for i in items {
                out.push_str("<li>");
                render(i, item_base, out);
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
        other => out.push_str(&scalar(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_is_escaped_everywhere() {
        let mut out = String::new();
        render(
            &json!({
                "<k>": "<script>alert('x')</script>",
                "links": [{ "href": "http://h/\"><b>", "rel": "self", "title": "<t>" }],
                "features": [{ "type": "Feature", "id": "<i>", "geometry": null,
                               "properties": { "<p>": "&" } }],
            }),
            Some("http://h/items"),
            &mut out,
        );
        assert!(!out.contains("<script>"));
        assert!(!out.contains("<k>") && !out.contains("<t>") && !out.contains("<p>"));
        assert!(!out.contains("\"><b>"));
        assert!(out.contains("&lt;script&gt;") && out.contains("&amp;"));
        assert!(out.contains("href=\"http://h/items/%3Ci%3E\""));
    }
}
