//! Where a multi-instance High Mobility value sits in VSS. HM names places absolutely
//! (`front_left`); VSS wheels are absolute too, but doors, seats and lamps are
//! driver-relative (`Row1.DriverSide`), so those need the vehicle's driver side.

/// HM wheel locations are absolute, like VSS wheels; outer twin wheels and the spare
/// have no VSS slot.
pub fn wheel(location: &str) -> Option<[&'static str; 2]> {
    Some(match location {
        "front_left" => ["Row1", "Left"],
        "front_right" => ["Row1", "Right"],
        "rear_left" => ["Row2", "Left"],
        "rear_right" => ["Row2", "Right"],
        _ => return None,
    })
}

fn side(left: bool, driver_right: bool) -> &'static str {
    if left != driver_right {
        "DriverSide"
    } else {
        "PassengerSide"
    }
}

/// Doors (and other per-door places: windows, reading lamps); `all` means every door.
pub fn doors(location: &str, driver_right: bool) -> Option<Vec<[&'static str; 2]>> {
    Some(match location {
        "front_left" => vec![["Row1", side(true, driver_right)]],
        "front_right" => vec![["Row1", side(false, driver_right)]],
        "rear_left" => vec![["Row2", side(true, driver_right)]],
        "rear_right" => vec![["Row2", side(false, driver_right)]],
        "all" => vec![
            ["Row1", "DriverSide"],
            ["Row1", "PassengerSide"],
            ["Row2", "DriverSide"],
            ["Row2", "PassengerSide"],
        ],
        _ => return None,
    })
}

/// Seats: the four corners as doors, plus `rear_center` and the relative `driver` /
/// `passenger` HM also uses.
pub fn seat(location: &str, driver_right: bool) -> Option<[&'static str; 2]> {
    Some(match location {
        "driver" => ["Row1", "DriverSide"],
        "passenger" => ["Row1", "PassengerSide"],
        "rear_center" => ["Row2", "Middle"],
        corner => doors(corner, driver_right)?.into_iter().next()?,
    })
    .filter(|_| location != "all")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_is_the_driver_side_unless_the_driver_sits_right() {
        assert_eq!(
            doors("front_left", false),
            Some(vec![["Row1", "DriverSide"]])
        );
        assert_eq!(
            doors("front_left", true),
            Some(vec![["Row1", "PassengerSide"]])
        );
        assert_eq!(
            doors("rear_right", true),
            Some(vec![["Row2", "DriverSide"]])
        );
        assert_eq!(doors("all", false).map(|d| d.len()), Some(4));
        assert_eq!(doors("hatch", false), None);
    }

    #[test]
    fn seats_know_the_rear_centre_and_relative_names() {
        assert_eq!(seat("rear_center", false), Some(["Row2", "Middle"]));
        assert_eq!(seat("driver", true), Some(["Row1", "DriverSide"]));
        assert_eq!(seat("front_right", true), Some(["Row1", "DriverSide"]));
        assert_eq!(seat("all", false), None);
    }

    #[test]
    fn wheels_are_absolute_and_twins_have_no_slot() {
        assert_eq!(wheel("rear_left"), Some(["Row2", "Left"]));
        assert_eq!(wheel("rear_left_outer"), None);
        assert_eq!(wheel("spare"), None);
    }
}
