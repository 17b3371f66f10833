//! Answering FHIR requests: the content type and the searchset Bundle every
//! capability's FHIR handlers share.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use renkei_domain::ValidationErrors;
use renkei_interop::FhirResource;
use serde_json::{json, Value};

use crate::{FormData, WebError};

/// A FHIR JSON answer, without the empty arrays, objects and strings FHIR
/// JSON never holds ([`renkei_interop::prune_empty`]).
pub fn fhir_json(status: StatusCode, body: Value) -> Response {
    let body = renkei_interop::prune_empty(body);
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json; charset=utf-8"),
    );
    r
}

/// The page size when a search does not give `_count`.
pub const DEFAULT_COUNT: usize = 20;
/// The largest page a search returns; a larger `_count` is taken as this.
pub const MAX_COUNT: usize = 100;

/// Parameters every search takes besides those its resource declares:
/// paging, and `_format` (checked by [`formats`]).
const RESULT_PARAMS: [&str; 3] = ["_count", "_offset", "_format"];

/// One value of a token parameter: `code`, `system|code` or `|code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// `None`: any system; `Some("")`: no system (`|code`).
    pub system: Option<String>,
    pub code: String,
}

impl Token {
    /// Parses one value (`system|code`, `|code`, `code`).
    pub fn parse(v: &str) -> Token {
        match v.split_once('|') {
            Some((system, code)) => Token {
                system: Some(system.to_string()),
                code: code.to_string(),
            },
            None => Token {
                system: None,
                code: v.to_string(),
            },
        }
    }

    /// Whether a coding or identifier (`system`, `code`) matches; `system|`
    /// (no code) matches any code of that system.
    pub fn matches(&self, system: &str, code: &str) -> bool {
        match (self.system.as_deref(), self.code.as_str()) {
            (Some(s), "") => s == system,
            (s, c) => c == code && s.is_none_or(|s| s == system),
        }
    }
}

/// A FHIR search as the client sent it, checked against the parameters its
/// resource declares ([`FhirResource::search`]): the handler reads only
/// those, so what `/fhir/metadata` lists is what the search honours.
///
/// A parameter the resource does not declare is refused with a 400
/// OperationOutcome when the client sends `Prefer: handling=strict`, and
/// otherwise (lenient, the default) ignored, left out of the `self` link,
/// and named in an OperationOutcome entry of the Bundle.
#[derive(Debug, Clone)]
pub struct Search {
    kind: &'static str,
    /// The declared parameters as sent, in order.
    used: Vec<(String, String)>,
    pub count: usize,
    pub offset: usize,
    ignored: Vec<String>,
}

/// Whether the client asked for strict handling of unknown parameters.
fn prefers_strict(headers: &HeaderMap) -> bool {
    headers.get_all("prefer").iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split([',', ';'])
                .any(|p| p.trim().eq_ignore_ascii_case("handling=strict"))
        })
    })
}

impl Search {
    /// Reads a search's query string and `Prefer` header.
    pub fn parse(
        resource: &FhirResource,
        raw: Option<&str>,
        headers: &HeaderMap,
    ) -> Result<Search, WebError> {
        let mut v = ValidationErrors::new();
        let search = Search::parse_into(resource, raw, headers, &mut v)?;
        v.into_result().map_err(WebError::Validation)?;
        Ok(search)
    }

    /// [`Search::parse`], adding the problems with its parameters to `v`
    /// (a handler that checks more parameters names every problem at once).
    pub fn parse_into(
        resource: &FhirResource,
        raw: Option<&str>,
        headers: &HeaderMap,
        v: &mut ValidationErrors,
    ) -> Result<Search, WebError> {
        let form = FormData::parse(raw.unwrap_or("").as_bytes())?;
        let strict = prefers_strict(headers);
        let mut search = Search {
            kind: resource.kind,
            used: Vec::new(),
            count: DEFAULT_COUNT,
            offset: 0,
            ignored: Vec::new(),
        };
        for (name, value) in form.0 {
            match name.as_str() {
                "_count" => match value.trim().parse::<usize>() {
                    Ok(n) => search.count = n.min(MAX_COUNT),
                    Err(_) => v.add(
                        "_count",
                        "number",
                        "_count は0以上の整数です（最大100件）。",
                        "_count must be a whole number from 0 (at most 100 are returned).",
                    ),
                },
                "_offset" => match value.trim().parse::<usize>() {
                    Ok(n) => search.offset = n,
                    Err(_) => v.add(
                        "_offset",
                        "number",
                        "_offset は0以上の整数です。",
                        "_offset must be a whole number from 0.",
                    ),
                },
                n if RESULT_PARAMS.contains(&n) => {}
                n if resource.search.iter().any(|p| p.name == n) => {
                    if search.used.iter().any(|(k, _)| *k == name) {
                        // Repeating a parameter means "and" in FHIR, which
                        // no Renkei search does; a comma is "or".
                        v.add(
                            &name,
                            "repeated",
                            &format!("{name} は一度だけ指定してください（複数の値はカンマで区切ります）。"),
                            &format!("Give {name} once (a comma separates values that are alternatives)."),
                        );
                    } else {
                        search.used.push((name, value));
                    }
                }
                // A modifier (`code:not`, `name:exact`) on a parameter the
                // resource supports: ignoring it would answer another
                // question (all but X instead of X), so it is refused
                // whatever the client prefers.
                n if n
                    .split_once(':')
                    .is_some_and(|(base, _)| resource.search.iter().any(|p| p.name == base)) =>
                {
                    v.add(
                        &name,
                        "unsupported",
                        &format!(
                            "{} の検索では修飾子付きの {name} は使えません。",
                            resource.kind
                        ),
                        &format!("{} does not support the modifier in {name}.", resource.kind),
                    );
                }
                _ if strict => v.add(
                    &name,
                    "unsupported",
                    &format!("{} の検索では {name} は使えません。", resource.kind),
                    &format!(
                        "{} does not support the search parameter {name}.",
                        resource.kind
                    ),
                ),
                _ => {
                    if !search.ignored.contains(&name) {
                        search.ignored.push(name);
                    }
                }
            }
        }
        Ok(search)
    }

    /// The first value of a declared parameter, or "".
    pub fn get(&self, name: &str) -> &str {
        self.used
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// A token parameter: every value of every occurrence (a comma is
    /// "or"); empty when it was not given.
    pub fn tokens(&self, name: &str) -> Vec<Token> {
        self.used
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(Token::parse)
            .collect()
    }

    /// One page of `items` (which are every match), with the total.
    pub fn page<T>(&self, items: Vec<T>) -> (Vec<T>, usize) {
        let total = items.len();
        let page = items
            .into_iter()
            .skip(self.offset)
            .take(self.count)
            .collect();
        (page, total)
    }

    fn url(&self, base: &str, offset: usize) -> String {
        let mut pairs: Vec<(String, String)> = self.used.clone();
        pairs.push(("_count".into(), self.count.to_string()));
        if offset > 0 {
            pairs.push(("_offset".into(), offset.to_string()));
        }
        format!(
            "{base}/fhir/{}?{}",
            self.kind,
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }

    /// The searchset Bundle of one page: `resources` found at this search's
    /// offset, `total` when known, `more` when a page follows. Its links
    /// repeat the parameters the search used with `_count` and `_offset`.
    pub fn bundle(
        &self,
        base: &str,
        resources: Vec<Value>,
        total: Option<usize>,
        more: bool,
    ) -> Response {
        let base = base.trim_end_matches('/');
        let mut links = vec![
            ("self", self.url(base, self.offset)),
            ("first", self.url(base, 0)),
        ];
        if more && self.count > 0 {
            links.push(("next", self.url(base, self.offset + self.count)));
        }
        if self.offset > 0 {
            links.push((
                "previous",
                self.url(base, self.offset.saturating_sub(self.count.max(1))),
            ));
        }
        let outcome = (!self.ignored.is_empty()).then(|| {
            json!({
                "resourceType": "OperationOutcome",
                "issue": self.ignored.iter().map(|name| json!({
                    "severity": "warning",
                    "code": "not-supported",
                    "diagnostics": format!(
                        "{} does not support the search parameter {name}; it was ignored \
                         (send Prefer: handling=strict to have it refused).",
                        self.kind
                    ),
                    // R4: an HTTP parameter's location is "http." + its name.
                    "location": [format!("http.{name}")],
                })).collect::<Vec<_>>(),
            })
        });
        fhir_json(
            StatusCode::OK,
            renkei_interop::searchset(base, &links, resources, total, outcome),
        )
    }

    /// The Bundle of a search whose `items` are every match: this page of
    /// them, mapped, with the total.
    pub fn bundle_all<T>(&self, base: &str, items: Vec<T>, map: impl Fn(T) -> Value) -> Response {
        let (page, total) = self.page(items);
        let more = self.offset + page.len() < total;
        self.bundle(base, page.into_iter().map(map).collect(), Some(total), more)
    }
}

/// Whether a format a FHIR client asks for (`_format`, `Accept`) is one
/// Renkei answers: JSON only.
fn json_acceptable(format: &str) -> bool {
    let f = format.trim().to_ascii_lowercase();
    f.is_empty()
        || f.contains("json")
        || f.contains("*/*")
        || f.contains("application/*")
        || f == "html"
}

/// Renkei's FHIR API answers JSON only: a request for XML (`_format=xml`,
/// `Accept: application/fhir+xml`) or another format gets 406 Not
/// Acceptable as an OperationOutcome, not JSON it did not ask for.
pub async fn formats(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if crate::error::is_fhir_path(path) {
        let asked_format = request
            .uri()
            .query()
            .and_then(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == "_format")
                    .map(|(_, v)| v.into_owned())
            })
            .unwrap_or_default();
        let accept = request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if !json_acceptable(&asked_format) || !json_acceptable(&accept) {
            let mut response = StatusCode::NOT_ACCEPTABLE.into_response();
            response.extensions_mut().insert(crate::error::ErrorInfo {
                detail: "Renkei's FHIR API answers JSON only: ask with _format=json or \
                         Accept: application/fhir+json."
                    .into(),
                errors: None,
            });
            return response;
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use renkei_interop::SearchParam;

    const THING: FhirResource = FhirResource {
        kind: "Thing",
        interactions: &["read", "search-type"],
        profile: None,
        search: &[SearchParam {
            name: "code",
            kind: "token",
            documentation: "",
        }],
        documentation: None,
    };

    #[test]
    fn tokens_honour_their_system() {
        let t = Token::parse("http://loinc.org|8310-5");
        assert!(t.matches("http://loinc.org", "8310-5"));
        assert!(!t.matches("urn:other", "8310-5"));
        assert!(Token::parse("8310-5").matches("urn:other", "8310-5"));
        assert!(Token::parse("http://loinc.org|").matches("http://loinc.org", "2708-6"));
        assert!(!Token::parse("http://loinc.org|").matches("urn:other", "2708-6"));
        let none = Token::parse("|8310-5");
        assert!(none.matches("", "8310-5") && !none.matches("http://loinc.org", "8310-5"));
    }

    #[test]
    fn unknown_parameters_are_ignored_with_a_warning_or_refused_when_strict() {
        let mut headers = HeaderMap::new();
        let s = Search::parse(
            &THING,
            Some("code=a,b&_sort=x&_count=2&_offset=4"),
            &headers,
        )
        .expect("lenient");
        assert_eq!(s.tokens("code").len(), 2);
        assert_eq!((s.count, s.offset), (2, 4));
        assert_eq!(s.ignored, vec!["_sort".to_string()]);
        assert_eq!(
            s.url("http://x", 6),
            "http://x/fhir/Thing?code=a%2Cb&_count=2&_offset=6"
        );
        headers.insert(
            "prefer",
            HeaderValue::from_static("return=minimal, handling=strict"),
        );
        assert!(Search::parse(&THING, Some("_sort=x"), &headers).is_err());
        assert!(Search::parse(&THING, Some("_count=abc"), &HeaderMap::new()).is_err());
        // A modifier is refused even when lenient; so is a repeat.
        assert!(Search::parse(&THING, Some("code:not=a"), &HeaderMap::new()).is_err());
        assert!(Search::parse(&THING, Some("code=a&code=b"), &HeaderMap::new()).is_err());
        let big = Search::parse(&THING, Some("_count=5000"), &HeaderMap::new()).expect("clamped");
        assert_eq!(big.count, MAX_COUNT);
    }

    #[test]
    fn a_page_knows_the_total() {
        let s = Search::parse(&THING, Some("_count=2&_offset=2"), &HeaderMap::new()).expect("ok");
        assert_eq!(s.page(vec![1, 2, 3, 4, 5]), (vec![3, 4], 5));
    }

    #[test]
    fn json_and_wildcards_are_acceptable_xml_is_not() {
        for ok in [
            "",
            "json",
            "application/fhir+json",
            "application/json",
            "*/*",
            "text/html,*/*;q=0.8",
        ] {
            assert!(json_acceptable(ok), "{ok}");
        }
        for refused in ["xml", "application/fhir+xml", "text/xml", "ttl"] {
            assert!(!json_acceptable(refused), "{refused}");
        }
    }
}
