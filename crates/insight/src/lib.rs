//! Statistics and forecasting for partnerships: SPC, interrupted time series, demand forecasts, hotspots,
//! rota, economics, surveys and SVG charts. Pure functions over plain data; no database, no HTTP.

pub mod chart;
pub mod cli;
pub mod economics;
pub mod forecast;
pub mod hotspots;
pub mod input;
pub mod its;
pub mod rota;
pub mod spc;
pub mod survey;
