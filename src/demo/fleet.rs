//! A simulated fleet for `vinstream demo`: cars that drive, charge and park, and report
//! in the three providers' real wire formats — with the imperfections the real streams
//! have (duplicate deliveries, out-of-order samples, mixed timestamp precisions).

use base64::Engine;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

pub const HM_APP_V2: &str = "6f1b2c3d-0000-4000-8000-00000000d3m0";
pub const HM_APP_V1: &str = "DE30DE30DE30DE30DE30DE30";
pub const GCID: &str = "d3m0d3m0-0000-4000-8000-000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    HmV2,
    HmV1,
    Bmw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Driving,
    Charging,
    Parked,
}

#[derive(Debug, Clone)]
pub struct Car {
    pub vin: String,
    pub format: Format,
    mode: Mode,
    mode_ticks: u32,
    odometer_km: f64,
    soc: f64,
    lat: f64,
    lon: f64,
    heading: f64,
    speed_kmh: f64,
}

/// One MQTT publish.
#[derive(Debug, Clone)]
pub struct Publish {
    pub topic: String,
    pub payload: Vec<u8>,
}

pub struct Fleet {
    pub cars: Vec<Car>,
    rng: fastrand::Rng,
    sent: u64,
    last: Option<Publish>,
}

fn ts(t: DateTime<Utc>, precision: u8) -> String {
    match precision {
        0 => t.to_rfc3339_opts(SecondsFormat::Secs, true),
        1 => t.to_rfc3339_opts(SecondsFormat::Millis, true),
        _ => t.to_rfc3339_opts(SecondsFormat::Micros, true),
    }
}

impl Fleet {
    pub fn new(vehicles: usize, seed: u64) -> Fleet {
        let mut rng = fastrand::Rng::with_seed(seed);
        let cars = (0..vehicles)
            .map(|i| {
                let format = [Format::HmV2, Format::HmV1, Format::Bmw][i % 3];
                let prefix = match format {
                    Format::HmV2 => "EXVD3M0",
                    Format::HmV1 => "VFD3M0V",
                    Format::Bmw => "WBAD3M0",
                };
                Car {
                    vin: format!("{prefix}{:010}", i),
                    format,
                    mode: [Mode::Driving, Mode::Parked, Mode::Charging][i % 3],
                    mode_ticks: 0,
                    odometer_km: 5_000.0 + rng.f64() * 60_000.0,
                    soc: 0.3 + rng.f64() * 0.6,
                    lat: 48.137 + rng.f64() * 0.1,
                    lon: 11.575 + rng.f64() * 0.1,
                    heading: rng.f64() * 360.0,
                    speed_kmh: 0.0,
                }
            })
            .collect();
        Fleet {
            cars,
            rng,
            sent: 0,
            last: None,
        }
    }

    /// The next message: one car moves on and reports. About one in twenty messages is a
    /// redelivery of the previous one (providers deliver at least once).
    pub fn next(&mut self, now: DateTime<Utc>) -> Publish {
        self.sent += 1;
        if let Some(last) = &self.last {
            if self.rng.u32(..20) == 0 {
                return last.clone();
            }
        }
        let i = (self.sent as usize) % self.cars.len().max(1);
        let rng = &mut self.rng;
        let car = &mut self.cars[i];
        car.step(rng);
        let p = match car.format {
            Format::HmV2 => car.hm_v2(now, rng),
            Format::HmV1 => car.hm_v1(now, rng),
            Format::Bmw => car.bmw(now, rng),
        };
        self.last = Some(p.clone());
        p
    }
}

fn message_id(rng: &mut fastrand::Rng) -> String {
    let bytes: Vec<u8> = (0..32).map(|_| rng.u8(..)).collect();
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

impl Car {
    fn step(&mut self, rng: &mut fastrand::Rng) {
        self.mode_ticks += 1;
        if self.mode_ticks > 20 + rng.u32(..20) {
            self.mode_ticks = 0;
            self.mode = match self.mode {
                Mode::Driving if self.soc < 0.35 => Mode::Charging,
                Mode::Driving => Mode::Parked,
                Mode::Parked => Mode::Driving,
                Mode::Charging => Mode::Parked,
            };
        }
        match self.mode {
            Mode::Driving => {
                self.speed_kmh = (self.speed_kmh + rng.f64() * 20.0 - 8.0).clamp(5.0, 130.0);
                let km = self.speed_kmh / 3600.0 * 10.0;
                self.odometer_km += km;
                self.soc = (self.soc - km * 0.0012).max(0.05);
                self.heading = (self.heading + rng.f64() * 30.0 - 15.0).rem_euclid(360.0);
                self.lat += km / 111.0 * self.heading.to_radians().cos();
                self.lon += km / 74.0 * self.heading.to_radians().sin();
            }
            Mode::Charging => {
                self.speed_kmh = 0.0;
                self.soc = (self.soc + 0.01).min(1.0);
            }
            Mode::Parked => self.speed_kmh = 0.0,
        }
    }

    fn hm_status(&self) -> &'static str {
        match self.mode {
            Mode::Charging if self.soc >= 0.999 => "charging_complete",
            Mode::Charging => "charging",
            _ => "not_charging",
        }
    }

    fn hm_v2(&self, now: DateTime<Utc>, rng: &mut fastrand::Rng) -> Publish {
        let t = ts(now, rng.u8(..3));
        // An older odometer sample after the newer one: arrays are not ordered.
        let older = ts(now - Duration::seconds(30), 1);
        let data = json!({
            "diagnostics": {
                "odometer": [
                    {"data": {"unit": "kilometers", "value": (self.odometer_km * 10.0).round() / 10.0}, "timestamp": t},
                    {"data": {"unit": "kilometers", "value": ((self.odometer_km - 0.2) * 10.0).round() / 10.0}, "timestamp": older}
                ],
                "speed": [{"data": {"unit": "kilometers_per_hour", "value": self.speed_kmh.round()}, "timestamp": t}]
            },
            "vehicle_location": {
                "coordinates": [{"data": {"latitude": self.lat, "longitude": self.lon}, "timestamp": t}],
                "heading": [{"data": {"unit": "degrees", "value": self.heading.round()}, "timestamp": t}]
            },
            "charging": {
                "battery_level": [{"data": (self.soc * 100.0).round() / 100.0, "timestamp": t}],
                "status": [{"data": self.hm_status(), "timestamp": t}],
                "estimated_range": [{"data": {"unit": "kilometers", "value": (self.soc * 420.0).round()}}]
            }
        });
        let payload = json!({"version": 2, "application_id": HM_APP_V2, "message_id": message_id(rng),
                             "vin": self.vin, "data": data});
        Publish {
            topic: format!("live/level13/{HM_APP_V2}"),
            payload: payload.to_string().into_bytes(),
        }
    }

    fn hm_v1(&self, now: DateTime<Utc>, rng: &mut fastrand::Rng) -> Publish {
        let t = ts(now, 0);
        let (cap, prop, entry): (&str, &str, Value) = match rng.u8(..4) {
            0 => (
                "diagnostics",
                "odometer",
                json!({"data": {"unit": "miles", "value": (self.odometer_km / 1.609_344).round()}, "timestamp": t}),
            ),
            1 => (
                "charging",
                "battery_level",
                json!({"data": (self.soc * 100.0).round() / 100.0, "timestamp": t}),
            ),
            2 => (
                "vehicle_location",
                "coordinates",
                json!({"data": {"latitude": self.lat, "longitude": self.lon}, "timestamp": t}),
            ),
            _ => (
                "diagnostics",
                "tire_pressures",
                json!([
                {"data": {"location": "front_left", "pressure": {"unit": "bars", "value": 2.4}}, "timestamp": t},
                {"data": {"location": "front_right", "pressure": {"unit": "bars", "value": 2.5}}, "timestamp": t},
                {"data": {"location": "rear_left", "pressure": {"unit": "pounds_force_per_square_inch", "value": 36}}},
                {"data": {"location": "rear_right", "pressure": {"unit": "pounds_force_per_square_inch", "value": 35}}}]),
            ),
        };
        let payload = json!({"message_id": message_id(rng), "version": 1, "vin": self.vin,
                             "capability": cap, "property": prop, "timestamp": t,
                             "data": {cap: {prop: entry}}});
        Publish {
            topic: format!("live/level13/{HM_APP_V1}/{}/{cap}/get/{prop}", self.vin),
            payload: payload.to_string().into_bytes(),
        }
    }

    fn bmw(&self, now: DateTime<Utc>, rng: &mut fastrand::Rng) -> Publish {
        let t = ts(now, 0);
        let hv = match self.mode {
            Mode::Charging if self.soc >= 0.999 => "FINISHED_FULLY_CHARGED",
            Mode::Charging => "CHARGING",
            _ => "NOT_CHARGING",
        };
        let moving = if self.mode == Mode::Driving {
            "ASN_isTrue"
        } else {
            "ASN_isFalse"
        };
        let data = match rng.u8(..3) {
            // BMW sends numbers as numbers or strings, lat/lon as separate descriptors.
            0 => json!({
                "vehicle.cabin.infotainment.navigation.currentLocation.latitude": {"timestamp": t, "value": format!("{:.6}", self.lat)},
                "vehicle.cabin.infotainment.navigation.currentLocation.longitude": {"timestamp": t, "value": format!("{:.6}", self.lon)},
                "vehicle.isMoving": {"timestamp": t, "value": moving}
            }),
            1 => json!({
                "vehicle.drivetrain.batteryManagement.header": {"timestamp": t, "value": (self.soc * 100.0).round(), "unit": "percent"},
                "vehicle.drivetrain.electricEngine.charging.hvStatus": {"timestamp": t, "value": hv}
            }),
            _ => json!({
                "vehicle.vehicle.travelledDistance": {"timestamp": t, "value": self.odometer_km.round(), "unit": "km"}
            }),
        };
        let payload = json!({"vin": self.vin, "entityId": GCID, "topic": self.vin,
                             "timestamp": now.to_rfc3339_opts(SecondsFormat::Millis, true), "data": data});
        Publish {
            topic: format!("{GCID}/{}", self.vin),
            payload: payload.to_string().into_bytes(),
        }
    }
}

/// A JWT-shaped id token that expires in ten years: the demo broker takes any password.
pub fn demo_id_token() -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let exp = (Utc::now() + Duration::days(3650)).timestamp();
    format!(
        "{}.{}.demo",
        b64.encode(r#"{"alg":"none"}"#),
        b64.encode(json!({"sub": GCID, "exp": exp}).to_string())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers;
    use crate::record::ProviderKind;

    #[test]
    fn every_simulated_message_normalizes_in_its_provider_format() {
        let mut fleet = Fleet::new(6, 7);
        let now = Utc::now();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..300 {
            let p = fleet.next(now);
            let kind = if p.topic.starts_with(GCID) {
                ProviderKind::BmwCardata
            } else if p.topic.split('/').count() > 3 {
                ProviderKind::HighMobilityV1
            } else {
                ProviderKind::HighMobilityV2
            };
            seen.insert(format!("{kind:?}"));
            let r = providers::normalize(kind, "demo", &p.topic, &p.payload, now)
                .unwrap_or_else(|m| panic!("{m}: {}", String::from_utf8_lossy(&p.payload)));
            assert!(!r.signals.is_empty());
            assert!(
                r.signals.iter().any(|s| s.path.starts_with("Vehicle.")),
                "{:?}",
                r.signals
            );
        }
        assert_eq!(seen.len(), 3);
    }
}
