//! The CSV dialect vss-tools writes: comma-separated, a field with a comma quoted in
//! `"`, no line breaks inside fields (the export puts none there).

/// A line's fields, outer quotes removed. An escaped quote (`""`) inside a field is
/// left doubled: only descriptions carry one, and the catalogue reads no description.
pub fn fields(line: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(11);
    let mut rest = line;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            // The field ends at a quote that is not doubled.
            let mut end = 0;
            let bytes = quoted.as_bytes();
            while end < bytes.len() {
                if bytes[end] == b'"' {
                    if bytes.get(end + 1) == Some(&b'"') {
                        end += 2;
                        continue;
                    }
                    break;
                }
                end += 1;
            }
            out.push(&quoted[..end]);
            rest = quoted.get(end + 1..).unwrap_or("");
            match rest.strip_prefix(',') {
                Some(r) => rest = r,
                None => return out,
            }
        } else {
            match rest.split_once(',') {
                Some((field, r)) => {
                    out.push(field);
                    rest = r;
                }
                None => {
                    out.push(rest);
                    return out;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fields;

    #[test]
    fn quoted_fields_keep_their_commas() {
        assert_eq!(
            fields(r#"A.B,sensor,string,,,,,"x, ""y"" z",,"['P', 'Q']","#),
            [
                "A.B",
                "sensor",
                "string",
                "",
                "",
                "",
                "",
                r#"x, ""y"" z"#,
                "",
                "['P', 'Q']",
                ""
            ]
        );
        assert_eq!(fields("a"), ["a"]);
        assert_eq!(fields(r#""a""#), ["a"]);
    }
}
