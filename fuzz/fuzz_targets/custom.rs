//! lparse's custom formats (`--nginx-format`, `--apache-format`), compiled
//! once from a few fixed format strings; each input line is parsed with
//! every one of them, and a record that is written must be valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lparse::custom::Custom;
use std::sync::{Mutex, OnceLock};

const NGINX: &[&str] = &[
    // nginx's example format, as lparse has it built in.
    r#"log_format main '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"';"#,
    // docs/formats.md's example.
    r#"log_format cache '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" "$http_user_agent" '
                      'rt=$request_time host=$host cache=$upstream_cache_status';"#,
    // ISO time, split request, numeric variables (upstream times may be lists).
    r#"log_format split '$time_iso8601 $realip_remote_addr $request_method $request_uri $server_protocol $status $bytes_sent $request_length up=$upstream_response_time us=$upstream_status c=$connection m=$msec args=$args uri=$uri';"#,
    // Everything quoted, values may hold escaped quotes.
    r#"log_format q '"$time_local" "$remote_addr" "$request" "$status" "$http_host" "$request_time"';"#,
];

const APACHE: &[&str] = &[
    // Apache's vhost_combined, as lparse has it built in.
    r#"LogFormat "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" vcombined"#,
    // docs/formats.md's example.
    r#"LogFormat "%v %h %l %u %t \"%r\" %>s %b %D" timed"#,
    // Times in several units, headers, pid, keepalive, bytes in/out.
    r#"LogFormat "%a %{X-Forwarded-For}i %t %m %U %q %H %s %B %T %{ms}T %{us}T %P %k %I %S \"%{Host}i\"" many"#,
    // %r alone at the end of the line.
    r#"LogFormat "%h %>s %r" tail"#,
];

fn formats() -> &'static Mutex<Vec<Custom>> {
    static FORMATS: OnceLock<Mutex<Vec<Custom>>> = OnceLock::new();
    FORMATS.get_or_init(|| {
        let nginx = NGINX.iter().map(|f| Custom::nginx(f).expect(f));
        let apache = APACHE.iter().map(|f| Custom::apache(f).expect(f));
        Mutex::new(nginx.chain(apache).collect())
    })
}

fuzz_target!(|line: &[u8]| {
    let mut ctx = logkit_fuzz::ctx();
    let mut formats = formats().lock().unwrap_or_else(|e| e.into_inner());
    for format in formats.iter_mut() {
        let _ = logkit_fuzz::parse_and_check(format, line, &mut ctx);
    }
});
