# Stand-in for nginx:stable: Debian's nginx with the official image's layout and behaviour
# (conf.d/default.conf, logs to the container's output, foreground, SIGQUIT stops it gracefully).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx-light \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log \
 && printf 'server {\n  listen 80;\n  location / { root /var/www/html; index index.html index.nginx-debian.html; }\n}\n' \
    >/etc/nginx/conf.d/default.conf
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
