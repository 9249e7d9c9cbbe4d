//! axe-core (Deque's accessibility rule engine) run on the page a browser
//! test has open: WCAG 2.x A and AA rules plus axe's best practices.

use std::path::PathBuf;

use serde_json::Value;

use super::webdriver::Browser;

/// The text of axe.min.js, from the file `AXE_JS` names; `None` (the
/// caller skips its axe checks) without it, except under CI.
pub fn script() -> Option<String> {
    let path = std::env::var_os("AXE_JS").map(PathBuf::from).filter(|p| p.is_file());
    if path.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set AXE_JS to axe-core's axe.min.js (.ci/run installs it)"
        );
        eprintln!("skipped: set AXE_JS to axe-core's axe.min.js (npm install axe-core@4)");
    }
    path.map(|p| std::fs::read_to_string(p).unwrap())
}

/// The violations axe finds on the page as it is now, one line per
/// (rule, element). Panics unless the colour-contrast rule ran and passed
/// somewhere: every page has text, so a page without that pass was not
/// really checked.
pub fn violations(browser: &Browser, axe: &str) -> Vec<String> {
    if browser.js("return typeof window.axe") != Value::String("object".into()) {
        browser.js(axe);
    }
    let v = browser.js_async(
        "const done = arguments[arguments.length - 1];
         axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })
           .then(r => done({
             passes: r.passes.map(p => p.id),
             violations: r.violations.flatMap(v => v.nodes.map(n =>
               `${v.id} (${v.impact}): ${v.help}\\n      at ${n.target.join(' ')}\\n      ${n.failureSummary.replace(/\\n/g, ' ')}\\n      ${n.html.slice(0, 200)}`))
           }))
           .catch(e => done({ passes: [], violations: ['axe failed: ' + e] }));",
    );
    let list = |key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap_or_else(|| panic!("axe returned {v}"))
            .iter()
            .map(|s| s.as_str().unwrap_or_default().to_string())
            .collect()
    };
    let (passes, violations) = (list("passes"), list("violations"));
    assert!(
        !violations.is_empty() || passes.iter().any(|p| p == "color-contrast"),
        "axe did not check colour contrast on {}: passes {passes:?}",
        browser.current_url()
    );
    violations
}
