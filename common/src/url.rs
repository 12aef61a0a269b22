//! The parts of a URL's text, found without parsing it whole: hprobe
//! takes a URL given on its command line apart with them (to mask its
//! password, to encode its host), and the terminal view ([`crate::view`])
//! shows the host and port of the `url` in hprobe's records.

/// The parts of `full`: the scheme with its `://`, the userinfo (before the
/// last `@` of the authority), the host and port, and the rest (path,
/// query, fragment). `None` when there is no `://`.
///
/// `http://u:p@h:8080/a?b` → `("http://", Some("u:p"), "h:8080", "/a?b")`.
pub fn split_authority(full: &str) -> Option<(&str, Option<&str>, &str, &str)> {
    let (scheme, after) = full.split_once("://")?;
    let scheme = &full[..scheme.len() + 3];
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => Some((scheme, Some(userinfo), host_port, rest)),
        None => Some((scheme, None, authority, rest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        assert_eq!(
            split_authority("http://u:p@h:8080/a?b"),
            Some(("http://", Some("u:p"), "h:8080", "/a?b"))
        );
        assert_eq!(
            split_authority("https://a@b@h?q#f"),
            Some(("https://", Some("a@b"), "h", "?q#f"))
        );
        assert_eq!(split_authority("http://h"), Some(("http://", None, "h", "")));
        assert_eq!(split_authority("h/a"), None);
    }
}
