//! The tile path `/tiles/{layer}/{z}/{x}/{y}.{ext}` as the tile handler splits it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let [layer, z, x, file] = parts.as_slice() else {
        return;
    };
    let Ok(kind) = lagesbild::tiles::LayerKind::parse(layer) else {
        return;
    };
    let Some((y, ext)) = file.rsplit_once('.') else {
        return;
    };
    let _ = lagesbild::tiles::Format::parse(ext);
    if let Ok(t) = lagesbild::tiles::TileId::parse(z, x, y, kind.max_zoom()) {
        let _ = t.lonlat_bounds();
    }
});
