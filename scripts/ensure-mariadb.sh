#!/usr/bin/env bash
# Make MariaDB answer on 127.0.0.1:3306 as root with an empty password (the test setup's MySQL).
# A no-op where that already works. Installs and starts Debian's mariadb-server on a bare machine.
set -euo pipefail
tcp_ok() { mariadb --protocol=TCP -h 127.0.0.1 -P 3306 -u root -e 'SELECT 1' >/dev/null 2>&1; }
if command -v mariadb >/dev/null 2>&1 && tcp_ok; then echo "mariadb: ready on 127.0.0.1:3306"; exit 0; fi

if [ ! -x /usr/sbin/mariadbd ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q mariadb-server mariadb-client >/dev/null
fi
# mariadbd refuses to run as root; start-stop-daemon --background hides that error: run it as mysql.
if [ ! -f /etc/mysql/mariadb.conf.d/99-ksdm.cnf ]; then
  mkdir -p /etc/mysql/mariadb.conf.d
  cat > /etc/mysql/mariadb.conf.d/99-ksdm.cnf <<'CNF'
[mysqld]
user = mysql
bind-address = 127.0.0.1
port = 3306
CNF
fi
[ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
install -d -o mysql -g mysql -m 755 /run/mysqld
start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
for _ in $(seq 1 300); do mariadb-admin ping >/dev/null 2>&1 && break; sleep 0.1; done
# Debian's root@localhost is socket-only: also allow an empty password over TCP.
mariadb -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket;
            CREATE DATABASE IF NOT EXISTS test; FLUSH PRIVILEGES;"
tcp_ok && echo "mariadb: ready on 127.0.0.1:3306"
