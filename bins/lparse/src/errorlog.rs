//! Error logs of Apache httpd (2.2 and 2.4) and nginx.
