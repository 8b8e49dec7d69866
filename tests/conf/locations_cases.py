"""Confs and requests with the location nginx picks: shared by the unit tests and by the
check against a real nginx (tests/conf/test_locations_nginx.py).

Every location answers ``return 200 "NAME"``, so nginx's reply names the location it picked.
An expected answer is that name, "301" where nginx redirects to the URI with a slash, "502"
where the location proxies (to a closed port) and None where no location matches (nginx then
serves the server's own root: a 404).
"""

from __future__ import annotations

# server blocks' bodies, one server a conf, listening on 8080
LOCATIONS: dict[str, str] = {
    # the documentation's example of the five kinds, written anew
    "kinds": r"""
        location = / { return 200 "A"; }
        location / { return 200 "B"; }
        location /documents/ { return 200 "C"; }
        location ^~ /images/ { return 200 "D"; }
        location ~* \.(gif|jpg|jpeg)$ { return 200 "E"; }
    """,
    "longest": r"""
        location /a { return 200 "a"; }
        location /ab { return 200 "ab"; }
        location /abc/ { return 200 "abc/"; }
        location /b/c { return 200 "b/c"; }
    """,
    "exact_prefix_regex": r"""
        location = /x { return 200 "=x"; }
        location /x { return 200 "x"; }
        location ~ x$ { return 200 "x-regex"; }
    """,
    "regex_order": r"""
        location / { return 200 "root"; }
        location ~ \.php$ { return 200 "php"; }
        location ~ ^/admin { return 200 "admin"; }
    """,
    "regex_order_swapped": r"""
        location ~ ^/admin { return 200 "admin"; }
        location ~ \.php$ { return 200 "php"; }
        location / { return 200 "root"; }
    """,
    "noregex_only_if_longest": r"""
        location ^~ /static/ { return 200 "^~static"; }
        location /static/js/ { return 200 "static/js"; }
        location ~ \.js$ { return 200 "js"; }
    """,
    "case": r"""
        location ~ \.PNG$ { return 200 "PNG"; }
        location ~* \.png$ { return 200 "png*"; }
        location /Foo { return 200 "Foo"; }
    """,
    "nested": r"""
        location / {
            return 200 "root";
            location ~ \.php$ { return 200 "root.php"; }
        }
        location /app/ {
            return 200 "app";
            location /app/static/ { return 200 "app/static"; }
            location ^~ /app/raw/ { return 200 "app/raw"; }
            location = /app/exact { return 200 "app=exact"; }
            location ~ \.json$ { return 200 "app.json"; }
        }
        location ~ \.jpg$ { return 200 "jpg"; }
        location ~ \.json$ { return 200 "json"; }
    """,
    "nested_in_regex": r"""
        location ~ ^/r/ {
            return 200 "r";
            location ~ \.txt$ { return 200 "r.txt"; }
        }
    """,
    "named": r"""
        location @fallback { return 200 "named"; }
        location /x { return 200 "x"; }
    """,
    "attached": r"""
        location =/exact { return 200 "=exact"; }
        location ^~/pre/ { return 200 "^~pre"; }
        location ~*\.TXT$ { return 200 "txt*"; }
        location ~/re/ { return 200 "re"; }
    """,
    "if_is_no_location": r"""
        if ($http_x_never) { set $never 1; }
        location / {
            if ($http_x_never) { return 418; }
            return 200 "root";
        }
    """,
    "auto_redirect": r"""
        location / { return 200 "root"; }
        location /api/ { proxy_pass http://127.0.0.1:1; }
        location = /exact/ { proxy_pass http://127.0.0.1:1; }
        location /static/ { return 200 "static"; }
    """,
    "auto_redirect_named_uri": r"""
        location /api { return 200 "api"; }
        location /api/ { proxy_pass http://127.0.0.1:1; }
        location = /v1 { return 200 "=v1"; }
        location /v1/ { proxy_pass http://127.0.0.1:1; }
    """,
    "translated": r"""
        location ~ ^/(?<version>v\d+)/ { return 200 "version"; }
        location ~ ^/n[[:digit:]]+$ { return 200 "posix"; }
        location ~ ^/end\z { return 200 "end"; }
        location ~ "^/q\x41{2}$" { return 200 "hex"; }
        location ~ ^/(?i:ci)$ { return 200 "ci"; }
    """,
}

# (conf, URI, what nginx answers)
LOCATION_CASES: list[tuple[str, str, str | None]] = [
    ("kinds", "/", "A"),
    ("kinds", "/index.html", "B"),
    ("kinds", "/documents/document.html", "C"),
    ("kinds", "/images/1.gif", "D"),
    ("kinds", "/documents/1.jpg", "E"),
    ("kinds", "/documents/1.JPG", "E"),
    ("kinds", "/documents", "B"),
    ("kinds", "/images", "B"),
    ("kinds", "/IMAGES/1.gif", "E"),
    ("kinds", "/images/../x.gif", "E"),
    ("kinds", "/images/./a.gif?x=1", "D"),
    ("kinds", "/%69mages/1.gif", "D"),
    ("kinds", "//images//1.gif", "D"),
    ("longest", "/a", "a"),
    ("longest", "/abx", "ab"),
    ("longest", "/abc/", "abc/"),
    ("longest", "/abc", "ab"),
    ("longest", "/b/c/d", "b/c"),
    ("longest", "/b", None),
    ("exact_prefix_regex", "/x", "=x"),
    ("exact_prefix_regex", "/xy", "x"),
    ("exact_prefix_regex", "/yx", "x-regex"),
    ("exact_prefix_regex", "/x/x", "x-regex"),
    ("exact_prefix_regex", "/x/", "x"),
    ("regex_order", "/admin/x.php", "php"),
    ("regex_order", "/admin/x", "admin"),
    ("regex_order", "/x", "root"),
    ("regex_order_swapped", "/admin/x.php", "admin"),
    ("regex_order_swapped", "/x.php", "php"),
    ("noregex_only_if_longest", "/static/a.js", "^~static"),
    ("noregex_only_if_longest", "/static/js/a.js", "js"),
    ("noregex_only_if_longest", "/static/js/a.css", "static/js"),
    ("noregex_only_if_longest", "/a.js", "js"),
    ("case", "/a.PNG", "PNG"),
    ("case", "/a.png", "png*"),
    ("case", "/a.pNg", "png*"),
    ("case", "/Foo/bar", "Foo"),
    ("case", "/foo/bar", None),
    ("nested", "/x.php", "root.php"),
    ("nested", "/x.jpg", "jpg"),
    ("nested", "/x", "root"),
    ("nested", "/app/", "app"),
    ("nested", "/app/static/a.css", "app/static"),
    ("nested", "/app/static/a.json", "app.json"),
    ("nested", "/app/raw/a.txt", "app/raw"),
    ("nested", "/app/raw/a.json", "json"),  # a nested ^~ does not stop the outer regexes
    ("nested", "/app/exact", "app=exact"),
    ("nested", "/app/x.jpg", "jpg"),
    ("nested", "/app/x.php", "app"),  # the root's nested regex is not looked at
    ("nested_in_regex", "/r/a.txt", "r.txt"),
    ("nested_in_regex", "/r/a", "r"),
    ("nested_in_regex", "/a.txt", None),
    ("named", "/@fallback", None),
    ("named", "/fallback", None),
    ("named", "/x", "x"),
    ("attached", "/exact", "=exact"),
    ("attached", "/exact/", None),
    ("attached", "/pre/a.txt", "^~pre"),
    ("attached", "/a.txt", "txt*"),
    ("attached", "/re/x", "re"),
    ("if_is_no_location", "/x", "root"),
    ("auto_redirect", "/api", "301"),
    ("auto_redirect", "/api/", "502"),
    ("auto_redirect", "/api/x", "502"),
    ("auto_redirect", "/exact", "301"),
    ("auto_redirect", "/static", "root"),  # no *_pass: no redirect
    ("auto_redirect", "/apix", "root"),
    ("auto_redirect_named_uri", "/api", "api"),
    ("auto_redirect_named_uri", "/v1", "=v1"),
    ("auto_redirect_named_uri", "/v1/x", "502"),
    ("translated", "/v2/x", "version"),
    ("translated", "/vx/x", None),
    ("translated", "/n123", "posix"),
    ("translated", "/n12a", None),
    ("translated", "/end", "end"),
    ("translated", "/qAA", "hex"),
    ("translated", "/CI", "ci"),
]

# regexes nginx takes and Python's re does not take the same way: (conf, URI, what nginx
# answers, the chain of candidates restybuild reports)
UNCERTAIN: dict[str, str] = {
    "inline_option": r"""
        location / { return 200 "root"; }
        location ~ ^/(?i)healthz$ { return 200 "health"; }
    """,
    "keep_out": r"""
        location ~ ^/v\d+/\Kping$ { return 200 "ping"; }
        location ~ ping$ { return 200 "any-ping"; }
    """,
    "nested_unsure": r"""
        location / {
            return 200 "root";
            location ~ [[:^alpha:]]$ { return 200 "not-alpha"; }
        }
        location ~ \.css$ { return 200 "css"; }
    """,
}
UNCERTAIN_CASES: list[tuple[str, str, str | None, list[str | None]]] = [
    ("inline_option", "/HEALTHZ", "health", ["health", "root"]),
    ("inline_option", "/healthz", "health", ["health", "root"]),
    ("inline_option", "/other", "root", ["health", "root"]),
    ("keep_out", "/v1/ping", "ping", ["ping", "any-ping"]),
    ("keep_out", "/ping", "any-ping", ["ping", "any-ping"]),
    ("keep_out", "/pong", None, ["ping", None]),
    ("nested_unsure", "/a.css", "css", ["not-alpha", "css"]),
    ("nested_unsure", "/a.cs1", "not-alpha", ["not-alpha", "root"]),
]

# servers: (conf, port, Host, address connected to, the server nginx picks)
SERVERS = r"""
    server { listen 8080; server_name a.example.org; location / { return 200 "exact"; } }
    server { listen 8080; server_name *.example.org; location / { return 200 "head"; } }
    server { listen 8080; server_name *.b.example.org; location / { return 200 "longer"; } }
    server { listen 8080; server_name www.*; location / { return 200 "tail"; } }
    server { listen 8080 default_server; server_name _; location / { return 200 "default"; } }
    server { listen 8080; server_name ~^api\d+\.; location / { return 200 "regex"; } }
    server { listen 8080; server_name ~^API; location / { return 200 "caseless"; } }
    server { listen 8080; server_name .example.com; location / { return 200 "dot"; } }
    server { listen 8081; location / { return 200 "wild81"; } }
    server { listen 127.0.0.1:8081; server_name localhost; location / { return 200 "local81"; } }
    server { listen 8082; location / { return 200 "first82"; } }
    server { listen 8082; server_name localhost; location / { return 200 "named82"; } }
    server { listen 8082; server_name ""; location / { return 200 "empty82"; } }
    server { listen 8083; server_name x.org; location / { return 200 "x.org"; } }
    server { listen 8083; server_name .x.org; location / { return 200 "dot-x"; } }
    server { listen 8083; server_name *.org; location / { return 200 "star-org"; } }
    server { listen 8083; server_name .a.org; location / { return 200 "dot-a"; } }
    server { listen 8083; server_name a.org; location / { return 200 "a.org"; } }
    server { listen 8083; server_name *.b.org; location / { return 200 "star-b"; } }
    server { listen 8083; server_name .b.org; location / { return 200 "dot-b"; } }
    server { listen 8083; server_name b.org; location / { return 200 "b.org"; } }
"""
SERVER_CASES: list[tuple[int, str | None, str | None, str]] = [
    (8080, "a.example.org", "127.0.0.1", "exact"),
    (8080, "A.Example.ORG.:8080", "127.0.0.1", "exact"),
    (8080, "b.example.org", "127.0.0.1", "head"),
    (8080, "x.y.example.org", "127.0.0.1", "head"),
    (8080, "x.b.example.org", "127.0.0.1", "longer"),
    (8080, "www.example.net", "127.0.0.1", "tail"),
    (8080, "www.example.org", "127.0.0.1", "head"),  # a leading * before a trailing one
    (8080, "api12.internal", "127.0.0.1", "regex"),
    (8080, "apix.internal", "127.0.0.1", "caseless"),  # capitals make nginx's regex caseless
    (8080, "example.com", "127.0.0.1", "dot"),
    (8080, "x.example.com", "127.0.0.1", "dot"),
    (8080, "localhost", "127.0.0.1", "default"),
    (8080, None, "127.0.0.1", "default"),
    (8080, "", "127.0.0.1", "default"),
    (8081, "localhost", "127.0.0.1", "local81"),
    (8081, "other", "127.0.0.1", "local81"),  # the address comes first
    (8081, "localhost", None, "wild81"),  # the pod IP: only the wildcard listens there
    (8082, "localhost", "127.0.0.1", "named82"),
    (8082, "other", "127.0.0.1", "first82"),
    (8082, "", "127.0.0.1", "first82"),  # no Host: the first server named "" (no name)
    # a name that conflicts with one hashed before it is ignored
    (8083, "x.org", "127.0.0.1", "x.org"),
    (8083, "b.x.org", "127.0.0.1", "star-org"),  # .x.org is dropped: x.org was taken
    (8083, "a.org", "127.0.0.1", "dot-a"),  # a.org is ignored: .a.org took it
    (8083, "z.a.org", "127.0.0.1", "dot-a"),
    (8083, "z.b.org", "127.0.0.1", "star-b"),
    (8083, "b.org", "127.0.0.1", "star-org"),  # .b.org lost *.b.org but still took b.org
]
