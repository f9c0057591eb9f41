//! Table-driven cases: one BMW data entry in, exactly these signals out, covering every
//! mapped row of the table.

use super::*;

/// `(name, data, expected signals)`; expected signals are written out in full.
fn cases() -> Vec<(&'static str, Value, Value)> {
    vec![
        (
            "odometer in km, as a JSON number",
            json!({"vehicle.vehicle.travelledDistance": {"timestamp": TS, "value": 87897, "unit": "km"}}),
            json!([{"path": "Vehicle.TraveledDistance", "value": 87897000, "unit": "m", "timestamp": TSN, "origin": "vehicle.vehicle.travelledDistance"}]),
        ),
        (
            "odometer as a string in `miles` (the literal spelling seen once)",
            json!({"vehicle.vehicle.travelledDistance": {"value": "100", "unit": "miles"}}),
            json!([{"path": "Vehicle.TraveledDistance", "value": 160934, "unit": "m", "origin": "vehicle.vehicle.travelledDistance"}]),
        ),
        (
            "odometer with no unit and the catalogue's literal \"null\" unit: km assumed",
            json!({
                "vehicle.vehicle.travelledDistance": {"value": 12.3456},
                "vehicle.trip.segment.end.travelledDistance": {"value": 5, "unit": "null"}
            }),
            json!([
                {"path": "Vehicle.TraveledDistance", "value": 12346, "unit": "m", "origin": "vehicle.vehicle.travelledDistance"},
                {"path": "BMW.vehicle.trip.segment.end.travelledDistance", "value": 5, "unit": "null", "origin": "vehicle.trip.segment.end.travelledDistance"}
            ]),
        ),
        (
            "location with coordinates as strings (BMW's own example), separate timestamps",
            json!({
                "vehicle.cabin.infotainment.navigation.currentLocation.latitude": {"timestamp": "2025-10-18T19:09:01Z", "value": "47.669421", "unit": "degrees"},
                "vehicle.cabin.infotainment.navigation.currentLocation.longitude": {"timestamp": "2025-10-18T19:09:03Z", "value": "9.498705", "unit": "degrees"},
                "vehicle.cabin.infotainment.navigation.currentLocation.altitude": {"timestamp": TS, "value": 420.5},
                "vehicle.cabin.infotainment.navigation.currentLocation.heading": {"timestamp": TS, "value": 359, "unit": "degrees"},
                "vehicle.cabin.infotainment.navigation.currentLocation.fixStatus": {"timestamp": TS, "value": "GPS_FIX_3D", "unit": ""}
            }),
            json!([
                {"path": "Vehicle.CurrentLocation.Latitude", "value": 47.669421, "unit": "degrees", "timestamp": "2025-10-18T19:09:01.000Z", "origin": "vehicle.cabin.infotainment.navigation.currentLocation.latitude"},
                {"path": "Vehicle.CurrentLocation.Longitude", "value": 9.498705, "unit": "degrees", "timestamp": "2025-10-18T19:09:03.000Z", "origin": "vehicle.cabin.infotainment.navigation.currentLocation.longitude"},
                {"path": "BMW.vehicle.cabin.infotainment.navigation.currentLocation.altitude", "value": 420.5, "timestamp": TSN, "origin": "vehicle.cabin.infotainment.navigation.currentLocation.altitude"},
                {"path": "Vehicle.CurrentLocation.Heading", "value": 359.0, "unit": "degrees", "timestamp": TSN, "origin": "vehicle.cabin.infotainment.navigation.currentLocation.heading"},
                {"path": "Vehicle.CurrentLocation.GNSSReceiver.FixType", "value": "THREE_D", "timestamp": TSN, "origin": "vehicle.cabin.infotainment.navigation.currentLocation.fixStatus"}
            ]),
        ),
        (
            "altitude (above sea level, not VSS's ellipsoid) as sent, fix words case-insensitive",
            json!({
                "vehicle.cabin.infotainment.navigation.currentLocation.altitude": {"value": 1000, "unit": "ft"},
                "vehicle.cabin.infotainment.navigation.currentLocation.fixStatus": {"value": "gps_fix_2d"}
            }),
            json!([
                {"path": "BMW.vehicle.cabin.infotainment.navigation.currentLocation.altitude", "value": 1000, "unit": "ft", "origin": "vehicle.cabin.infotainment.navigation.currentLocation.altitude"},
                {"path": "Vehicle.CurrentLocation.GNSSReceiver.FixType", "value": "TWO_D", "origin": "vehicle.cabin.infotainment.navigation.currentLocation.fixStatus"}
            ]),
        ),
        (
            "state of charge: `percent` and `%`, a numeric string",
            json!({
                "vehicle.drivetrain.batteryManagement.header": {"value": 81.5, "unit": "percent"},
                "vehicle.powertrain.electric.battery.stateOfCharge.displayed": {"value": "80", "unit": "%"},
                "vehicle.powertrain.electric.battery.stateOfHealth.displayed": {"value": 96, "unit": "%"}
            }),
            json!([
                {"path": "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current", "value": 81.5, "unit": "percent", "origin": "vehicle.drivetrain.batteryManagement.header"},
                {"path": "Vehicle.Powertrain.TractionBattery.StateOfCharge.Displayed", "value": 80.0, "unit": "percent", "origin": "vehicle.powertrain.electric.battery.stateOfCharge.displayed"},
                {"path": "Vehicle.Powertrain.TractionBattery.StateOfHealth", "value": 96.0, "unit": "percent", "origin": "vehicle.powertrain.electric.battery.stateOfHealth.displayed"}
            ]),
        ),
        (
            "battery capacities round to whole kWh",
            json!({
                "vehicle.drivetrain.batteryManagement.batterySizeMax": {"value": 83.9, "unit": "kWh"},
                "vehicle.drivetrain.batteryManagement.maxEnergy": {"value": "80.7"}
            }),
            json!([
                {"path": "Vehicle.Powertrain.TractionBattery.GrossCapacity", "value": 84, "unit": "kWh", "origin": "vehicle.drivetrain.batteryManagement.batterySizeMax"},
                {"path": "Vehicle.Powertrain.TractionBattery.NetCapacity", "value": 81, "unit": "kWh", "origin": "vehicle.drivetrain.batteryManagement.maxEnergy"}
            ]),
        ),
        (
            "ranges in km, mi, `KM`, `miles` and a null unit",
            json!({
                "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange": {"value": 250, "unit": null},
                "vehicle.drivetrain.lastRemainingRange": {"value": "100", "unit": "mi"},
                "vehicle.cabin.infotainment.navigation.remainingRange": {"value": 420, "unit": "KM"},
                "vehicle.drivetrain.fuelSystem.remainingFuelRange": {"value": 10, "unit": "miles"}
            }),
            json!([
                {"path": "Vehicle.Powertrain.TractionBattery.Range", "value": 250000, "unit": "m", "origin": "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange"},
                {"path": "Vehicle.Powertrain.Range", "value": 160934, "unit": "m", "origin": "vehicle.drivetrain.lastRemainingRange"},
                {"path": "Vehicle.Powertrain.FuelSystem.Range", "value": 420000, "unit": "m", "origin": "vehicle.cabin.infotainment.navigation.remainingRange"},
                {"path": "Vehicle.Powertrain.FuelSystem.Range", "value": 16093, "unit": "m", "origin": "vehicle.drivetrain.fuelSystem.remainingFuelRange"}
            ]),
        ),
        (
            "fuel: level rounds to a whole percent, gallons become litres",
            json!({
                "vehicle.drivetrain.fuelSystem.level": {"value": 45.6, "unit": "%"},
                "vehicle.drivetrain.fuelSystem.remainingFuel": {"value": 10, "unit": "gal"}
            }),
            json!([
                {"path": "Vehicle.Powertrain.FuelSystem.RelativeLevel", "value": 46, "unit": "percent", "origin": "vehicle.drivetrain.fuelSystem.level"},
                {"path": "Vehicle.Powertrain.FuelSystem.AbsoluteLevel", "value": 37.85411784, "unit": "l", "origin": "vehicle.drivetrain.fuelSystem.remainingFuel"}
            ]),
        ),
        (
            "remaining fuel in `L` as a string; a blank unit (as in the catalogue) means the default",
            json!({
                "vehicle.drivetrain.fuelSystem.remainingFuel": {"value": "42.5", "unit": "L"},
                "vehicle.powertrain.electric.battery.stateOfCharge.target": {"value": 70, "unit": " "}
            }),
            json!([
                {"path": "Vehicle.Powertrain.FuelSystem.AbsoluteLevel", "value": 42.5, "unit": "l", "origin": "vehicle.drivetrain.fuelSystem.remainingFuel"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit", "value": 70, "unit": "percent", "origin": "vehicle.powertrain.electric.battery.stateOfCharge.target"}
            ]),
        ),
        (
            "hvStatus CHARGING and charging.status CHARGINGACTIVE (lower case)",
            json!({
                "vehicle.drivetrain.electricEngine.charging.hvStatus": {"timestamp": TS, "value": "CHARGING", "unit": ""},
                "vehicle.drivetrain.electricEngine.charging.status": {"timestamp": TS, "value": "chargingactive"}
            }),
            json!([
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.Status", "value": "CHARGING", "timestamp": TSN, "origin": "vehicle.drivetrain.electricEngine.charging.hvStatus"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.IsCharging", "value": true, "timestamp": TSN, "origin": "vehicle.drivetrain.electricEngine.charging.hvStatus"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.Status", "value": "CHARGING", "timestamp": TSN, "origin": "vehicle.drivetrain.electricEngine.charging.status"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.IsCharging", "value": true, "timestamp": TSN, "origin": "vehicle.drivetrain.electricEngine.charging.status"}
            ]),
        ),
        (
            "hvStatus FINISHED_NOT_FULL; charging.status INVALID is a null status without IsCharging",
            json!({
                "vehicle.drivetrain.electricEngine.charging.hvStatus": {"value": "FINISHED_NOT_FULL"},
                "vehicle.drivetrain.electricEngine.charging.status": {"value": "INVALID"}
            }),
            json!([
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.Status", "value": "COMPLETE", "origin": "vehicle.drivetrain.electricEngine.charging.hvStatus"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.IsCharging", "value": false, "origin": "vehicle.drivetrain.electricEngine.charging.hvStatus"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.Status", "value": null, "origin": "vehicle.drivetrain.electricEngine.charging.status"}
            ]),
        ),
        (
            "charging.status: the catalogue's MANUAL_SELECTION range value passes through",
            json!({"vehicle.drivetrain.electricEngine.charging.status": {"value": "MANUAL_SELECTION", "unit": null}}),
            json!([{"path": "BMW.vehicle.drivetrain.electricEngine.charging.status", "value": "MANUAL_SELECTION", "origin": "vehicle.drivetrain.electricEngine.charging.status"}]),
        ),
        (
            "plug: CONNECTED, \"true\", 1, and per-position ports",
            json!({
                "vehicle.body.chargingPort.status": {"value": "CONNECTED"},
                "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged": {"value": "true", "unit": ""},
                "vehicle.powertrain.tractionBattery.charging.port.frontLeft.isPlugged": {"value": 1},
                "vehicle.powertrain.tractionBattery.charging.port.frontMiddle.isPlugged": {"value": false},
                "vehicle.powertrain.tractionBattery.charging.port.frontRight.isPlugged": {"value": "FALSE"},
                "vehicle.powertrain.tractionBattery.charging.port.rearLeft.isPlugged": {"value": 0},
                "vehicle.powertrain.tractionBattery.charging.port.rearMiddle.isPlugged": {"value": "ASN_isTrue"},
                "vehicle.powertrain.tractionBattery.charging.port.rearRight.isPlugged": {"value": true}
            }),
            json!([
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected", "value": true, "origin": "vehicle.body.chargingPort.status"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected", "value": true, "origin": "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.FrontLeft.IsChargingCableConnected", "value": true, "origin": "vehicle.powertrain.tractionBattery.charging.port.frontLeft.isPlugged"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.FrontMiddle.IsChargingCableConnected", "value": false, "origin": "vehicle.powertrain.tractionBattery.charging.port.frontMiddle.isPlugged"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.FrontRight.IsChargingCableConnected", "value": false, "origin": "vehicle.powertrain.tractionBattery.charging.port.frontRight.isPlugged"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.RearLeft.IsChargingCableConnected", "value": false, "origin": "vehicle.powertrain.tractionBattery.charging.port.rearLeft.isPlugged"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.RearMiddle.IsChargingCableConnected", "value": true, "origin": "vehicle.powertrain.tractionBattery.charging.port.rearMiddle.isPlugged"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.RearRight.IsChargingCableConnected", "value": true, "origin": "vehicle.powertrain.tractionBattery.charging.port.rearRight.isPlugged"}
            ]),
        ),
        (
            "plug status -NA- and ASN_isUnknown are null, no failure",
            json!({
                "vehicle.body.chargingPort.status": {"value": "-NA-"},
                "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged": {"value": "ASN_isUnknown"}
            }),
            json!([
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected", "value": null, "origin": "vehicle.body.chargingPort.status"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected", "value": null, "origin": "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged"}
            ]),
        ),
        (
            "charging flaps (every position) and the cable lock",
            json!({
                "vehicle.powertrain.tractionBattery.charging.port.anyPosition.flap.isOpen": {"value": false},
                "vehicle.powertrain.tractionBattery.charging.port.frontLeft.flap.isOpen": {"value": "OPEN"},
                "vehicle.powertrain.tractionBattery.charging.port.frontMiddle.flap.isOpen": {"value": "closed"},
                "vehicle.powertrain.tractionBattery.charging.port.frontRight.flap.isOpen": {"value": "true"},
                "vehicle.powertrain.tractionBattery.charging.port.rearLeft.flap.isOpen": {"value": 0},
                "vehicle.powertrain.tractionBattery.charging.port.rearMiddle.flap.isOpen": {"value": "INVALID"},
                "vehicle.powertrain.tractionBattery.charging.port.rearRight.flap.isOpen": {"value": true},
                "vehicle.body.chargingPort.lockedStatus": {"value": "CHARGING_CABLE_LOCKED"}
            }),
            json!([
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsFlapOpen", "value": false, "origin": "vehicle.powertrain.tractionBattery.charging.port.anyPosition.flap.isOpen"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.FrontLeft.IsFlapOpen", "value": true, "origin": "vehicle.powertrain.tractionBattery.charging.port.frontLeft.flap.isOpen"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.FrontMiddle.IsFlapOpen", "value": false, "origin": "vehicle.powertrain.tractionBattery.charging.port.frontMiddle.flap.isOpen"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.FrontRight.IsFlapOpen", "value": true, "origin": "vehicle.powertrain.tractionBattery.charging.port.frontRight.flap.isOpen"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.RearLeft.IsFlapOpen", "value": false, "origin": "vehicle.powertrain.tractionBattery.charging.port.rearLeft.flap.isOpen"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.RearMiddle.IsFlapOpen", "value": null, "origin": "vehicle.powertrain.tractionBattery.charging.port.rearMiddle.flap.isOpen"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.RearRight.IsFlapOpen", "value": true, "origin": "vehicle.powertrain.tractionBattery.charging.port.rearRight.flap.isOpen"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableLocked", "value": true, "origin": "vehicle.body.chargingPort.lockedStatus"}
            ]),
        ),
        (
            "charge limit, charging power with a null unit, minutes to seconds; time to full is kept",
            json!({
                "vehicle.powertrain.electric.battery.stateOfCharge.target": {"value": 80, "unit": "%"},
                "vehicle.powertrain.electric.battery.charging.power": {"value": 7400, "unit": null},
                "vehicle.drivetrain.electricEngine.charging.timeToFullyCharged": {"value": 95, "unit": "min"},
                "vehicle.drivetrain.electricEngine.charging.timeRemaining": {"value": "30"}
            }),
            json!([
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit", "value": 80, "unit": "percent", "origin": "vehicle.powertrain.electric.battery.stateOfCharge.target"},
                {"path": "Vehicle.Powertrain.TractionBattery.CurrentPower", "value": 7400.0, "unit": "W", "origin": "vehicle.powertrain.electric.battery.charging.power"},
                {"path": "BMW.vehicle.drivetrain.electricEngine.charging.timeToFullyCharged", "value": 95, "unit": "min", "origin": "vehicle.drivetrain.electricEngine.charging.timeToFullyCharged"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete", "value": 1800, "unit": "s", "origin": "vehicle.drivetrain.electricEngine.charging.timeRemaining"}
            ]),
        ),
        (
            "charging power in kW, cable unlocked",
            json!({
                "vehicle.powertrain.electric.battery.charging.power": {"value": 11, "unit": "kW"},
                "vehicle.body.chargingPort.lockedStatus": {"value": "CHARGING_CABLE_NOT_LOCKED"}
            }),
            json!([
                {"path": "Vehicle.Powertrain.TractionBattery.CurrentPower", "value": 11000.0, "unit": "W", "origin": "vehicle.powertrain.electric.battery.charging.power"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableLocked", "value": false, "origin": "vehicle.body.chargingPort.lockedStatus"}
            ]),
        ),
        (
            "doors: OPEN, closed, false, UNKNOWN",
            json!({
                "vehicle.cabin.door.row1.driver.isOpen": {"value": "OPEN"},
                "vehicle.cabin.door.row1.passenger.isOpen": {"value": "closed"},
                "vehicle.cabin.door.row2.driver.isOpen": {"value": false},
                "vehicle.cabin.door.row2.passenger.isOpen": {"value": "UNKNOWN"}
            }),
            json!([
                {"path": "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen", "value": true, "origin": "vehicle.cabin.door.row1.driver.isOpen"},
                {"path": "Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen", "value": false, "origin": "vehicle.cabin.door.row1.passenger.isOpen"},
                {"path": "Vehicle.Cabin.Door.Row2.DriverSide.IsOpen", "value": false, "origin": "vehicle.cabin.door.row2.driver.isOpen"},
                {"path": "Vehicle.Cabin.Door.Row2.PassengerSide.IsOpen", "value": null, "origin": "vehicle.cabin.door.row2.passenger.isOpen"}
            ]),
        ),
        (
            "door positions in percent",
            json!({
                "vehicle.cabin.door.row1.driver.position": {"value": 35, "unit": "percent"},
                "vehicle.cabin.door.row1.passenger.position": {"value": "0", "unit": "%"},
                "vehicle.cabin.door.row2.driver.position": {"value": 100},
                "vehicle.cabin.door.row2.passenger.position": {"value": 12.4, "unit": null}
            }),
            json!([
                {"path": "Vehicle.Cabin.Door.Row1.DriverSide.Position", "value": 35, "unit": "percent", "origin": "vehicle.cabin.door.row1.driver.position"},
                {"path": "Vehicle.Cabin.Door.Row1.PassengerSide.Position", "value": 0, "unit": "percent", "origin": "vehicle.cabin.door.row1.passenger.position"},
                {"path": "Vehicle.Cabin.Door.Row2.DriverSide.Position", "value": 100, "unit": "percent", "origin": "vehicle.cabin.door.row2.driver.position"},
                {"path": "Vehicle.Cabin.Door.Row2.PassengerSide.Position", "value": 12, "unit": "percent", "origin": "vehicle.cabin.door.row2.passenger.position"}
            ]),
        ),
        (
            "vehicle-wide lock SELECTIVE-LOCKED: all locked but the driver's front door",
            json!({"vehicle.cabin.door.lock.status": {"timestamp": TS, "value": "SELECTIVE-LOCKED"}}),
            json!([
                {"path": "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked", "value": false, "timestamp": TSN, "origin": "vehicle.cabin.door.lock.status"},
                {"path": "Vehicle.Cabin.Door.Row1.PassengerSide.IsLocked", "value": true, "timestamp": TSN, "origin": "vehicle.cabin.door.lock.status"},
                {"path": "Vehicle.Cabin.Door.Row2.DriverSide.IsLocked", "value": true, "timestamp": TSN, "origin": "vehicle.cabin.door.lock.status"},
                {"path": "Vehicle.Cabin.Door.Row2.PassengerSide.IsLocked", "value": true, "timestamp": TSN, "origin": "vehicle.cabin.door.lock.status"}
            ]),
        ),
        (
            "vehicle-wide lock INVALID: four nulls",
            json!({"vehicle.cabin.door.lock.status": {"value": "INVALID"}}),
            json!([
                {"path": "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked", "value": null, "origin": "vehicle.cabin.door.lock.status"},
                {"path": "Vehicle.Cabin.Door.Row1.PassengerSide.IsLocked", "value": null, "origin": "vehicle.cabin.door.lock.status"},
                {"path": "Vehicle.Cabin.Door.Row2.DriverSide.IsLocked", "value": null, "origin": "vehicle.cabin.door.lock.status"},
                {"path": "Vehicle.Cabin.Door.Row2.PassengerSide.IsLocked", "value": null, "origin": "vehicle.cabin.door.lock.status"}
            ]),
        ),
        (
            "windows: INTERMEDIATE is open, INVALID is null",
            json!({
                "vehicle.cabin.window.row1.driver.status": {"value": "INTERMEDIATE"},
                "vehicle.cabin.window.row1.passenger.status": {"value": "CLOSED"},
                "vehicle.cabin.window.row2.driver.status": {"value": "OPEN"},
                "vehicle.cabin.window.row2.passenger.status": {"value": "INVALID"}
            }),
            json!([
                {"path": "Vehicle.Cabin.Door.Row1.DriverSide.Window.IsOpen", "value": true, "origin": "vehicle.cabin.window.row1.driver.status"},
                {"path": "Vehicle.Cabin.Door.Row1.PassengerSide.Window.IsOpen", "value": false, "origin": "vehicle.cabin.window.row1.passenger.status"},
                {"path": "Vehicle.Cabin.Door.Row2.DriverSide.Window.IsOpen", "value": true, "origin": "vehicle.cabin.window.row2.driver.status"},
                {"path": "Vehicle.Cabin.Door.Row2.PassengerSide.Window.IsOpen", "value": null, "origin": "vehicle.cabin.window.row2.passenger.status"}
            ]),
        ),
        (
            "sunroof tilted, trunk, trunk door, trunk lock, hood",
            json!({
                "vehicle.cabin.sunroof.relativePosition": {"value": -100, "unit": "percent"},
                "vehicle.body.trunk.isOpen": {"value": "OPEN"},
                "vehicle.body.trunk.door.isOpen": {"value": "false", "unit": ""},
                "vehicle.body.trunk.isLocked": {"value": "true"},
                "vehicle.body.hood.isOpen": {"value": "CLOSED"}
            }),
            json!([
                {"path": "Vehicle.Cabin.Sunroof.Position", "value": -100, "unit": "percent", "origin": "vehicle.cabin.sunroof.relativePosition"},
                {"path": "Vehicle.Body.Trunk.Rear.IsOpen", "value": true, "origin": "vehicle.body.trunk.isOpen"},
                {"path": "Vehicle.Body.Trunk.Rear.IsOpen", "value": false, "origin": "vehicle.body.trunk.door.isOpen"},
                {"path": "Vehicle.Body.Trunk.Rear.IsLocked", "value": true, "origin": "vehicle.body.trunk.isLocked"},
                {"path": "Vehicle.Body.Hood.IsOpen", "value": false, "origin": "vehicle.body.hood.isOpen"}
            ]),
        ),
        (
            "tyres: kPa direct (also as strings), temperatures in Celsius, celsius, °C or none",
            json!({
                "vehicle.chassis.axle.row1.wheel.left.tire.pressure": {"value": 250, "unit": "kPa"},
                "vehicle.chassis.axle.row1.wheel.right.tire.pressure": {"value": "255", "unit": "kPa"},
                "vehicle.chassis.axle.row2.wheel.left.tire.pressure": {"value": 270.4},
                "vehicle.chassis.axle.row2.wheel.right.tire.pressure": {"value": 2.8, "unit": "bar"},
                "vehicle.chassis.axle.row1.wheel.left.tire.temperature": {"value": 21.5, "unit": "Celsius"},
                "vehicle.chassis.axle.row1.wheel.right.tire.temperature": {"value": "22", "unit": "celsius"},
                "vehicle.chassis.axle.row2.wheel.left.tire.temperature": {"value": 23, "unit": "°C"},
                "vehicle.chassis.axle.row2.wheel.right.tire.temperature": {"value": 24}
            }),
            json!([
                {"path": "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure", "value": 250, "unit": "kPa", "origin": "vehicle.chassis.axle.row1.wheel.left.tire.pressure"},
                {"path": "Vehicle.Chassis.Axle.Row1.Wheel.Right.Tire.Pressure", "value": 255, "unit": "kPa", "origin": "vehicle.chassis.axle.row1.wheel.right.tire.pressure"},
                {"path": "Vehicle.Chassis.Axle.Row2.Wheel.Left.Tire.Pressure", "value": 270, "unit": "kPa", "origin": "vehicle.chassis.axle.row2.wheel.left.tire.pressure"},
                {"path": "Vehicle.Chassis.Axle.Row2.Wheel.Right.Tire.Pressure", "value": 280, "unit": "kPa", "origin": "vehicle.chassis.axle.row2.wheel.right.tire.pressure"},
                {"path": "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.AirTemperature", "value": 21.5, "unit": "Celsius", "origin": "vehicle.chassis.axle.row1.wheel.left.tire.temperature"},
                {"path": "Vehicle.Chassis.Axle.Row1.Wheel.Right.Tire.AirTemperature", "value": 22.0, "unit": "Celsius", "origin": "vehicle.chassis.axle.row1.wheel.right.tire.temperature"},
                {"path": "Vehicle.Chassis.Axle.Row2.Wheel.Left.Tire.AirTemperature", "value": 23.0, "unit": "Celsius", "origin": "vehicle.chassis.axle.row2.wheel.left.tire.temperature"},
                {"path": "Vehicle.Chassis.Axle.Row2.Wheel.Right.Tire.AirTemperature", "value": 24.0, "unit": "Celsius", "origin": "vehicle.chassis.axle.row2.wheel.right.tire.temperature"}
            ]),
        ),
        (
            "ignition as ASN words; ASN_isUnknown is null; engine on/off is kept",
            json!({
                "vehicle.drivetrain.engine.isActive": {"value": "ASN_isTrue"},
                "vehicle.drivetrain.engine.isIgnitionOn": {"value": "ASN_isFalse"},
                "vehicle.isMoving": {"value": "ASN_isUnknown"}
            }),
            json!([
                {"path": "Vehicle.LowVoltageSystemState", "value": "ON", "origin": "vehicle.drivetrain.engine.isActive"},
                {"path": "BMW.vehicle.drivetrain.engine.isIgnitionOn", "value": "ASN_isFalse", "origin": "vehicle.drivetrain.engine.isIgnitionOn"},
                {"path": "Vehicle.IsMoving", "value": null, "origin": "vehicle.isMoving"}
            ]),
        ),
        (
            "ignition unknown is UNDEFINED; \"true\" and 0 as booleans",
            json!({
                "vehicle.drivetrain.engine.isActive": {"value": "asn_isunknown"},
                "vehicle.drivetrain.engine.isIgnitionOn": {"value": "true"},
                "vehicle.isMoving": {"value": 0}
            }),
            json!([
                {"path": "Vehicle.LowVoltageSystemState", "value": "UNDEFINED", "origin": "vehicle.drivetrain.engine.isActive"},
                {"path": "BMW.vehicle.drivetrain.engine.isIgnitionOn", "value": "true", "origin": "vehicle.drivetrain.engine.isIgnitionOn"},
                {"path": "Vehicle.IsMoving", "value": false, "origin": "vehicle.isMoving"}
            ]),
        ),
        (
            "ignition off as a JSON boolean",
            json!({"vehicle.drivetrain.engine.isActive": {"value": false}}),
            json!([{"path": "Vehicle.LowVoltageSystemState", "value": "OFF", "origin": "vehicle.drivetrain.engine.isActive"}]),
        ),
        (
            "service distance in miles, 12 V battery as a string, coolant in °C",
            json!({
                "vehicle.status.serviceDistance.next": {"value": 1000, "unit": "mi"},
                "vehicle.electricalSystem.battery.voltage": {"value": "14.4", "unit": "V"},
                "vehicle.drivetrain.internalCombustionEngine.engine.ect": {"value": 90, "unit": "°C"}
            }),
            json!([
                {"path": "Vehicle.Service.DistanceToService", "value": 1609.344, "unit": "km", "origin": "vehicle.status.serviceDistance.next"},
                {"path": "Vehicle.LowVoltageBattery.CurrentVoltage", "value": 14.4, "unit": "V", "origin": "vehicle.electricalSystem.battery.voltage"},
                {"path": "Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature", "value": 90.0, "unit": "Celsius", "origin": "vehicle.drivetrain.internalCombustionEngine.engine.ect"}
            ]),
        ),
        (
            "coolant in °F",
            json!({"vehicle.drivetrain.internalCombustionEngine.engine.ect": {"value": 212, "unit": "°F"}}),
            json!([{"path": "Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature", "value": 100.0, "unit": "Celsius", "origin": "vehicle.drivetrain.internalCombustionEngine.engine.ect"}]),
        ),
        (
            "unknown descriptors pass through with value and unit as sent, objects too",
            json!({
                "vehicle.drivetrain.electricEngine.charging.acVoltage": {"timestamp": TS, "value": "230", "unit": "V"},
                "vehicle.vehicleIdentification.basicVehicleData": {"value": {"brand": "BMW", "modelName": "i4 eDrive40", "series": "4"}},
                "vehicle.drivetrain.electricEngine.charging.phaseNumber": {"value": "3-PHASES", "unit": null},
                "vehicle.brandNew.thing": {"value": [1, 2, 3], "unit": "widgets"}
            }),
            json!([
                {"path": "BMW.vehicle.drivetrain.electricEngine.charging.acVoltage", "value": "230", "unit": "V", "timestamp": TSN, "origin": "vehicle.drivetrain.electricEngine.charging.acVoltage"},
                {"path": "BMW.vehicle.vehicleIdentification.basicVehicleData", "value": {"brand": "BMW", "modelName": "i4 eDrive40", "series": "4"}, "origin": "vehicle.vehicleIdentification.basicVehicleData"},
                {"path": "BMW.vehicle.drivetrain.electricEngine.charging.phaseNumber", "value": "3-PHASES", "origin": "vehicle.drivetrain.electricEngine.charging.phaseNumber"},
                {"path": "BMW.vehicle.brandNew.thing", "value": [1, 2, 3], "unit": "widgets", "origin": "vehicle.brandNew.thing"}
            ]),
        ),
        (
            "deliberately kept descriptors pass through: DTC raw, predicted SoC, forecasts",
            json!({
                "vehicle.electronicControlUnit.diagnosticTroubleCodes.raw": {"value": {"dtcs": [{"code": "P0A80", "status": "active"}]}},
                "vehicle.drivetrain.electricEngine.charging.level": {"value": 80, "unit": "%"},
                "vehicle.drivetrain.electricEngine.remainingElectricRange": {"value": 310, "unit": "km"},
                "vehicle.drivetrain.totalRemainingRange": {"value": 420, "unit": "km"}
            }),
            json!([
                {"path": "BMW.vehicle.electronicControlUnit.diagnosticTroubleCodes.raw", "value": {"dtcs": [{"code": "P0A80", "status": "active"}]}, "origin": "vehicle.electronicControlUnit.diagnosticTroubleCodes.raw"},
                {"path": "BMW.vehicle.drivetrain.electricEngine.charging.level", "value": 80, "unit": "%", "origin": "vehicle.drivetrain.electricEngine.charging.level"},
                {"path": "BMW.vehicle.drivetrain.electricEngine.remainingElectricRange", "value": 310, "unit": "km", "origin": "vehicle.drivetrain.electricEngine.remainingElectricRange"},
                {"path": "BMW.vehicle.drivetrain.totalRemainingRange", "value": 420, "unit": "km", "origin": "vehicle.drivetrain.totalRemainingRange"}
            ]),
        ),
        (
            "more kept descriptors: average speed, door summary, CBS list, inspection date",
            json!({
                "vehicle.vehicle.avgSpeed": {"value": 48, "unit": "km/h"},
                "vehicle.cabin.door.status": {"value": {"allDoorsLocked": "ASN_isTrue", "newDoorStatus": "ASN_locked"}},
                "vehicle.body.chargingPort.combinedStatus": {"value": "CONNECTED_LOCKED"},
                "vehicle.status.conditionBasedServices": {"value": [{"type": "OIL", "dueDate": "2026-05"}]},
                "vehicle.status.serviceTime.inspectionDateLegal": {"value": "01.05.2027 00:00 UTC"}
            }),
            json!([
                {"path": "BMW.vehicle.vehicle.avgSpeed", "value": 48, "unit": "km/h", "origin": "vehicle.vehicle.avgSpeed"},
                {"path": "BMW.vehicle.cabin.door.status", "value": {"allDoorsLocked": "ASN_isTrue", "newDoorStatus": "ASN_locked"}, "origin": "vehicle.cabin.door.status"},
                {"path": "BMW.vehicle.body.chargingPort.combinedStatus", "value": "CONNECTED_LOCKED", "origin": "vehicle.body.chargingPort.combinedStatus"},
                {"path": "BMW.vehicle.status.conditionBasedServices", "value": [{"type": "OIL", "dueDate": "2026-05"}], "origin": "vehicle.status.conditionBasedServices"},
                {"path": "BMW.vehicle.status.serviceTime.inspectionDateLegal", "value": "01.05.2027 00:00 UTC", "origin": "vehicle.status.serviceTime.inspectionDateLegal"}
            ]),
        ),
        (
            "seats: heating is the positive side of HeatingCooling, cooling the negative; row 3 is kept",
            json!({
                "vehicle.cabin.seat.row1.driverSide.heating": {"value": 60, "unit": "percent"},
                "vehicle.cabin.seat.row1.driverSide.cooling": {"value": "0", "unit": "%"},
                "vehicle.cabin.seat.row1.passengerSide.heating": {"value": 0},
                "vehicle.cabin.seat.row1.passengerSide.cooling": {"value": 33.4, "unit": null},
                "vehicle.cabin.seat.row2.driverSide.heating": {"value": 100},
                "vehicle.cabin.seat.row2.driverSide.cooling": {"value": "INVALID"},
                "vehicle.cabin.seat.row2.passengerSide.heating": {"value": 10},
                "vehicle.cabin.seat.row2.passengerSide.cooling": {"value": 100, "unit": "percent"},
                "vehicle.cabin.seat.row3.driverSide.heating": {"value": 20, "unit": "percent"}
            }),
            json!([
                {"path": "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling", "value": 60, "unit": "percent", "origin": "vehicle.cabin.seat.row1.driverSide.heating"},
                {"path": "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling", "value": 0, "unit": "percent", "origin": "vehicle.cabin.seat.row1.driverSide.cooling"},
                {"path": "Vehicle.Cabin.Seat.Row1.PassengerSide.HeatingCooling", "value": 0, "unit": "percent", "origin": "vehicle.cabin.seat.row1.passengerSide.heating"},
                {"path": "Vehicle.Cabin.Seat.Row1.PassengerSide.HeatingCooling", "value": -33, "unit": "percent", "origin": "vehicle.cabin.seat.row1.passengerSide.cooling"},
                {"path": "Vehicle.Cabin.Seat.Row2.DriverSide.HeatingCooling", "value": 100, "unit": "percent", "origin": "vehicle.cabin.seat.row2.driverSide.heating"},
                {"path": "Vehicle.Cabin.Seat.Row2.DriverSide.HeatingCooling", "value": null, "origin": "vehicle.cabin.seat.row2.driverSide.cooling"},
                {"path": "Vehicle.Cabin.Seat.Row2.PassengerSide.HeatingCooling", "value": 10, "unit": "percent", "origin": "vehicle.cabin.seat.row2.passengerSide.heating"},
                {"path": "Vehicle.Cabin.Seat.Row2.PassengerSide.HeatingCooling", "value": -100, "unit": "percent", "origin": "vehicle.cabin.seat.row2.passengerSide.cooling"},
                {"path": "BMW.vehicle.cabin.seat.row3.driverSide.heating", "value": 20, "unit": "percent", "origin": "vehicle.cabin.seat.row3.driverSide.heating"}
            ]),
        ),
        (
            "steering wheel heating, sunroof shade, rear defrost, both mirrors' heating",
            json!({
                "vehicle.cabin.steeringWheel.heating": {"value": 40, "unit": "percent"},
                "vehicle.cabin.sunroof.shade.position": {"value": "75"},
                "vehicle.cabin.hvac.preconditioning.status.rearDefrostActive": {"value": "true"},
                "vehicle.cabin.hvac.preconditioning.status.isExteriorMirrorHeatingActive": {"timestamp": TS, "value": false}
            }),
            json!([
                {"path": "Vehicle.Chassis.SteeringWheel.HeatingCooling", "value": 40, "unit": "percent", "origin": "vehicle.cabin.steeringWheel.heating"},
                {"path": "Vehicle.Cabin.Sunroof.Shade.Position", "value": 75, "unit": "percent", "origin": "vehicle.cabin.sunroof.shade.position"},
                {"path": "Vehicle.Cabin.HVAC.IsRearDefrosterActive", "value": true, "origin": "vehicle.cabin.hvac.preconditioning.status.rearDefrostActive"},
                {"path": "Vehicle.Body.Mirrors.DriverSide.IsHeatingOn", "value": false, "timestamp": TSN, "origin": "vehicle.cabin.hvac.preconditioning.status.isExteriorMirrorHeatingActive"},
                {"path": "Vehicle.Body.Mirrors.PassengerSide.IsHeatingOn", "value": false, "timestamp": TSN, "origin": "vehicle.cabin.hvac.preconditioning.status.isExteriorMirrorHeatingActive"}
            ]),
        ),
        (
            "distance units from the cluster and the HMI; convertible roof words",
            json!({
                "vehicle.cabin.infotainment.displayUnit.distance": {"value": "miles"},
                "vehicle.cabin.infotainment.hmi.distanceUnit": {"value": "KILOMETERS", "unit": ""},
                "vehicle.cabin.convertible.roofStatus": {"value": "OPENSECURED"}
            }),
            json!([
                {"path": "Vehicle.Cabin.Infotainment.HMI.DistanceUnit", "value": "MILES", "origin": "vehicle.cabin.infotainment.displayUnit.distance"},
                {"path": "Vehicle.Cabin.Infotainment.HMI.DistanceUnit", "value": "KILOMETERS", "origin": "vehicle.cabin.infotainment.hmi.distanceUnit"},
                {"path": "Vehicle.Cabin.Convertible.Status", "value": "OPEN", "origin": "vehicle.cabin.convertible.roofStatus"}
            ]),
        ),
        (
            "roof positions VSS has no status for, and a connector ERROR, pass through",
            json!({
                "vehicle.cabin.convertible.roofStatus": {"value": "LOADINGPOSITION"},
                "vehicle.drivetrain.electricEngine.charging.connectorStatus": {"value": "ERROR"},
                "vehicle.cabin.infotainment.displayUnit.distance": {"value": "furlongs"}
            }),
            json!([
                {"path": "BMW.vehicle.cabin.convertible.roofStatus", "value": "LOADINGPOSITION", "origin": "vehicle.cabin.convertible.roofStatus"},
                {"path": "BMW.vehicle.drivetrain.electricEngine.charging.connectorStatus", "value": "ERROR", "origin": "vehicle.drivetrain.electricEngine.charging.connectorStatus"},
                {"path": "BMW.vehicle.cabin.infotainment.displayUnit.distance", "value": "furlongs", "origin": "vehicle.cabin.infotainment.displayUnit.distance"}
            ]),
        ),
        (
            "plug state from the connector and the G08 clear text; battery conditioning activity",
            json!({
                "vehicle.drivetrain.electricEngine.charging.connectorStatus": {"value": "CONNECTED"},
                "vehicle.body.chargingPort.statusClearText": {"value": "DISCONNECTED"},
                "vehicle.powertrain.electric.battery.preconditioning.state": {"value": "REMOTE_ON_CHARGE"}
            }),
            json!([
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected", "value": true, "origin": "vehicle.drivetrain.electricEngine.charging.connectorStatus"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected", "value": false, "origin": "vehicle.body.chargingPort.statusClearText"},
                {"path": "Vehicle.Powertrain.TractionBattery.BatteryConditioning.IsActive", "value": true, "origin": "vehicle.powertrain.electric.battery.preconditioning.state"}
            ]),
        ),
        (
            "a DC plug in is a cable in; the AC port's status is its own row",
            json!({
                "vehicle.body.chargingPort.dcStatus": {"value": "CONNECTED"},
                "vehicle.body.chargingPort.status": {"value": "CONNECTED"}
            }),
            json!([
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected", "value": true, "origin": "vehicle.body.chargingPort.dcStatus"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected", "value": true, "origin": "vehicle.body.chargingPort.status"}
            ]),
        ),
        (
            "no DC plug says nothing of an AC cable: it stays under the vendor name",
            json!({"vehicle.body.chargingPort.dcStatus": {"value": "DISCONNECTED"}}),
            json!([
                {"path": "BMW.vehicle.body.chargingPort.dcStatus", "value": "DISCONNECTED", "origin": "vehicle.body.chargingPort.dcStatus"}
            ]),
        ),
        (
            "battery conditioning switched off remotely; the manual button is kept",
            json!({
                "vehicle.powertrain.electric.battery.preconditioning.state": {"value": "REMOTE_OFF"},
                "vehicle.powertrain.electric.battery.preconditioning.manualMode.statusFeedback": {"value": "ON_DRIVE"}
            }),
            json!([
                {"path": "Vehicle.Powertrain.TractionBattery.BatteryConditioning.IsActive", "value": false, "origin": "vehicle.powertrain.electric.battery.preconditioning.state"},
                {"path": "BMW.vehicle.powertrain.electric.battery.preconditioning.manualMode.statusFeedback", "value": "ON_DRIVE", "origin": "vehicle.powertrain.electric.battery.preconditioning.manualMode.statusFeedback"}
            ]),
        ),
        (
            "values that do not fit their row pass through unchanged",
            json!({
                "vehicle.vehicle.travelledDistance": {"value": "a lot", "unit": "km"},
                "vehicle.drivetrain.batteryManagement.header": {"value": 50, "unit": "km"},
                "vehicle.drivetrain.fuelSystem.level": {"value": 300, "unit": "%"},
                "vehicle.powertrain.electric.battery.stateOfCharge.displayed": {"value": 104, "unit": "%"},
                "vehicle.cabin.seat.row1.driverSide.cooling": {"value": 150, "unit": "percent"},
                "vehicle.cabin.infotainment.navigation.currentLocation.heading": {"value": 361, "unit": "degrees"},
                "vehicle.cabin.door.row1.driver.isOpen": {"value": "AJAR"},
                "vehicle.cabin.infotainment.navigation.currentLocation.fixStatus": {"value": "GPS_FIX_4D"},
                "vehicle.cabin.sunroof.relativePosition": {"value": 50, "unit": "stars"},
                "vehicle.drivetrain.lastRemainingRange": {"value": -5, "unit": "km"},
                "vehicle.isMoving": {"value": 2}
            }),
            json!([
                {"path": "BMW.vehicle.vehicle.travelledDistance", "value": "a lot", "unit": "km", "origin": "vehicle.vehicle.travelledDistance"},
                {"path": "BMW.vehicle.drivetrain.batteryManagement.header", "value": 50, "unit": "km", "origin": "vehicle.drivetrain.batteryManagement.header"},
                {"path": "BMW.vehicle.drivetrain.fuelSystem.level", "value": 300, "unit": "%", "origin": "vehicle.drivetrain.fuelSystem.level"},
                {"path": "BMW.vehicle.powertrain.electric.battery.stateOfCharge.displayed", "value": 104, "unit": "%", "origin": "vehicle.powertrain.electric.battery.stateOfCharge.displayed"},
                {"path": "BMW.vehicle.cabin.seat.row1.driverSide.cooling", "value": 150, "unit": "percent", "origin": "vehicle.cabin.seat.row1.driverSide.cooling"},
                {"path": "BMW.vehicle.cabin.infotainment.navigation.currentLocation.heading", "value": 361, "unit": "degrees", "origin": "vehicle.cabin.infotainment.navigation.currentLocation.heading"},
                {"path": "BMW.vehicle.cabin.door.row1.driver.isOpen", "value": "AJAR", "origin": "vehicle.cabin.door.row1.driver.isOpen"},
                {"path": "BMW.vehicle.cabin.infotainment.navigation.currentLocation.fixStatus", "value": "GPS_FIX_4D", "origin": "vehicle.cabin.infotainment.navigation.currentLocation.fixStatus"},
                {"path": "BMW.vehicle.cabin.sunroof.relativePosition", "value": 50, "unit": "stars", "origin": "vehicle.cabin.sunroof.relativePosition"},
                {"path": "BMW.vehicle.drivetrain.lastRemainingRange", "value": -5, "unit": "km", "origin": "vehicle.drivetrain.lastRemainingRange"},
                {"path": "BMW.vehicle.isMoving", "value": 2, "origin": "vehicle.isMoving"}
            ]),
        ),
        (
            "entries that are not {value, unit?, timestamp?} pass through whole",
            json!({
                "vehicle.isMoving": true,
                "vehicle.body.hood.isOpen": {"state": "OPEN"},
                "vehicle.vehicle.travelledDistance": {"value": 1, "unit": "km", "quality": "good"},
                "vehicle.body.trunk.isOpen": {"value": "OPEN", "timestamp": 1_700_000_000},
                "vehicle.drivetrain.fuelSystem.level": {"value": 50, "unit": {"name": "%"}},
                "vehicle.cabin.door.lock.status": null
            }),
            json!([
                {"path": "BMW.vehicle.isMoving", "value": true, "origin": "vehicle.isMoving"},
                {"path": "BMW.vehicle.body.hood.isOpen", "value": {"state": "OPEN"}, "origin": "vehicle.body.hood.isOpen"},
                {"path": "BMW.vehicle.vehicle.travelledDistance", "value": {"value": 1, "unit": "km", "quality": "good"}, "origin": "vehicle.vehicle.travelledDistance"},
                {"path": "BMW.vehicle.body.trunk.isOpen", "value": {"value": "OPEN", "timestamp": 1_700_000_000}, "origin": "vehicle.body.trunk.isOpen"},
                {"path": "BMW.vehicle.drivetrain.fuelSystem.level", "value": {"value": 50, "unit": {"name": "%"}}, "origin": "vehicle.drivetrain.fuelSystem.level"},
                {"path": "BMW.vehicle.cabin.door.lock.status", "value": null, "origin": "vehicle.cabin.door.lock.status"}
            ]),
        ),
        (
            "JSON null values: the VSS path with null (no unit); unknown ones stay BMW.",
            json!({
                "vehicle.vehicle.travelledDistance": {"value": null, "unit": "km"},
                "vehicle.drivetrain.electricEngine.charging.hvStatus": {"value": null},
                "vehicle.cabin.door.row1.driver.isOpen": {"value": null, "timestamp": null},
                "vehicle.drivetrain.engine.isActive": {"value": null},
                "vehicle.unknown.thing": {"value": null, "unit": null}
            }),
            json!([
                {"path": "Vehicle.TraveledDistance", "value": null, "origin": "vehicle.vehicle.travelledDistance"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.Status", "value": null, "origin": "vehicle.drivetrain.electricEngine.charging.hvStatus"},
                {"path": "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen", "value": null, "origin": "vehicle.cabin.door.row1.driver.isOpen"},
                {"path": "Vehicle.LowVoltageSystemState", "value": null, "origin": "vehicle.drivetrain.engine.isActive"},
                {"path": "BMW.vehicle.unknown.thing", "value": null, "origin": "vehicle.unknown.thing"}
            ]),
        ),
        (
            "INVALID and -NA- measurements are null under the VSS path",
            json!({
                "vehicle.drivetrain.batteryManagement.batterySizeMax": {"value": "INVALID", "unit": "kWh"},
                "vehicle.chassis.axle.row1.wheel.left.tire.pressure": {"value": "-NA-", "unit": "kPa"},
                "vehicle.cabin.infotainment.navigation.currentLocation.fixStatus": {"value": "unknown"}
            }),
            json!([
                {"path": "Vehicle.Powertrain.TractionBattery.GrossCapacity", "value": null, "origin": "vehicle.drivetrain.batteryManagement.batterySizeMax"},
                {"path": "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure", "value": null, "origin": "vehicle.chassis.axle.row1.wheel.left.tire.pressure"},
                {"path": "Vehicle.CurrentLocation.GNSSReceiver.FixType", "value": null, "origin": "vehicle.cabin.infotainment.navigation.currentLocation.fixStatus"}
            ]),
        ),
        (
            "zero-width spaces and surrounding whitespace in descriptor names",
            json!({
                "vehicle.\u{200b}vehicle.\u{200b}travelledDistance": {"value": 1, "unit": "km"},
                " vehicle.isMoving\u{200b} ": {"value": "ASN_isTrue"},
                "vehicle.\u{200b}body.\u{200b}chargingPort.\u{200b}plugEventId": {"value": 7}
            }),
            json!([
                {"path": "Vehicle.TraveledDistance", "value": 1000, "unit": "m", "origin": "vehicle.vehicle.travelledDistance"},
                {"path": "Vehicle.IsMoving", "value": true, "origin": " vehicle.isMoving "},
                {"path": "BMW.vehicle.body.chargingPort.plugEventId", "value": 7, "origin": "vehicle.body.chargingPort.plugEventId"}
            ]),
        ),
        (
            "one message, many descriptors, each with its own timestamp, in message order",
            json!({
                "vehicle.drivetrain.electricEngine.charging.acVoltage": {"timestamp": "2025-10-18T10:14:19Z", "value": 229, "unit": "V"},
                "vehicle.drivetrain.batteryManagement.header": {"timestamp": "2025-10-18T10:23:25.5Z", "value": 64, "unit": "percent"},
                "vehicle.drivetrain.electricEngine.charging.hvStatus": {"timestamp": "2025-10-18T12:23:24+02:00", "value": "WAITING_FOR_CHARGING"},
                "vehicle.isMoving": {"value": false},
                "vehicle.body.hood.isOpen": {"timestamp": "yesterday", "value": "CLOSED"}
            }),
            json!([
                {"path": "BMW.vehicle.drivetrain.electricEngine.charging.acVoltage", "value": 229, "unit": "V", "timestamp": "2025-10-18T10:14:19.000Z", "origin": "vehicle.drivetrain.electricEngine.charging.acVoltage"},
                {"path": "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current", "value": 64.0, "unit": "percent", "timestamp": "2025-10-18T10:23:25.500Z", "origin": "vehicle.drivetrain.batteryManagement.header"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.Status", "value": "WAITING", "timestamp": "2025-10-18T10:23:24.000Z", "origin": "vehicle.drivetrain.electricEngine.charging.hvStatus"},
                {"path": "Vehicle.Powertrain.TractionBattery.Charging.IsCharging", "value": false, "timestamp": "2025-10-18T10:23:24.000Z", "origin": "vehicle.drivetrain.electricEngine.charging.hvStatus"},
                {"path": "Vehicle.IsMoving", "value": false, "origin": "vehicle.isMoving"},
                {"path": "Vehicle.Body.Hood.IsOpen", "value": false, "timestamp": "yesterday", "origin": "vehicle.body.hood.isOpen"}
            ]),
        ),
    ]
}

#[test]
fn table_cases_produce_exactly_the_expected_signals() {
    let cases = cases();
    assert!(cases.len() >= 25);
    for (name, data, expected) in cases {
        assert_eq!(signals_of(data), expected, "case: {name}");
    }
}

/// Every row (mapped or kept) is exercised by a case, and every VSS path of it appears.
#[test]
fn the_cases_cover_every_mapped_row() {
    let mut descriptors = BTreeSet::new();
    let mut paths = BTreeSet::new();
    for (_, data, expected) in cases() {
        for k in data.as_object().unwrap().keys() {
            descriptors.insert(k.replace('\u{200b}', "").trim().to_string());
        }
        for s in expected.as_array().unwrap() {
            paths.insert(s["path"].as_str().unwrap().to_string());
        }
    }
    // kept rows are each driven by the catalogue test (every catalogue descriptor)
    for row in mapping::ROWS.iter().filter(|r| r.rule.is_mapped()) {
        assert!(
            descriptors.contains(row.descriptor),
            "no case for {}",
            row.descriptor
        );
        for target in row.rule.targets() {
            assert!(paths.contains(target), "no case yields {target}");
        }
    }
}

#[test]
fn both_charging_status_tables_map_every_value() {
    for (descriptor, table) in [
        (
            "vehicle.drivetrain.electricEngine.charging.status",
            mapping::CHARGING_STATUS,
        ),
        (
            "vehicle.drivetrain.electricEngine.charging.hvStatus",
            mapping::HV_STATUS,
        ),
    ] {
        for (wire, common) in table {
            let s = signals_of(json!({ descriptor: {"value": wire} }));
            assert_eq!(s[0]["path"], mapping::STATUS, "{wire}");
            assert_eq!(s[0]["value"], *common, "{wire}");
            assert_eq!(s[1]["path"], mapping::IS_CHARGING, "{wire}");
            assert_eq!(s[1]["value"], *common == "CHARGING", "{wire}");
        }
        // the vehicle does not know: a null status, no IsCharging
        for word in ["INVALID", "unknown", "-NA-"] {
            let s = signals_of(json!({ descriptor: {"value": word} }));
            assert_eq!(
                s,
                json!([{"path": mapping::STATUS, "value": null, "origin": descriptor}]),
                "{word}"
            );
        }
    }
}
