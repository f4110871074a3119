//! The Botkyrka demo: layers, synthetic incidents, and the assignment checked against a
//! brute-force scan on real polygons.
