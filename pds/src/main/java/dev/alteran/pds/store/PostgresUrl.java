package dev.alteran.pds.store;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;
import java.util.ArrayList;

/**
 * A PostgreSQL server and database, from {@code postgres://user:password@host:port/database?params}
 * ({@code postgresql://} alike) or a JDBC URL ({@code jdbc:postgresql://host:port/database?user=..&password=..}).
 * The JDBC URL kept here never holds the user or the password, and neither {@link #toString()} nor
 * {@link #describe()} nor a parse error shows the password.
 *
 * @param jdbcUrl  {@code jdbc:postgresql://hosts/database[?other parameters]}
 * @param hosts    {@code host:port}, or several separated by commas
 * @param database the database name
 */
public record PostgresUrl(String jdbcUrl, String hosts, String database, String user, String password) {
    static final int DEFAULT_PORT = 5432;
    /** How long to wait for the server to accept a connection, in seconds. */
    static final int CONNECT_TIMEOUT_SEC = 10;
    private static final String FORM = "postgres://USER:PASSWORD@HOST:PORT/DATABASE";

    /**
     * Parses {@code url}; an {@link IllegalArgumentException} says what is wrong without quoting any
     * part of the URL (a password with an unescaped '/' or '@' would otherwise leak into the message).
     */
    public static PostgresUrl parse(String url) {
        String rest;
        boolean jdbc;
        if (url.startsWith("postgres://")) {
            rest = url.substring("postgres://".length());
            jdbc = false;
        } else if (url.startsWith("postgresql://")) {
            rest = url.substring("postgresql://".length());
            jdbc = false;
        } else if (url.startsWith("jdbc:postgresql://")) {
            rest = url.substring("jdbc:postgresql://".length());
            jdbc = true;
        } else if (url.startsWith("jdbc:postgresql:")) {
            rest = "localhost/" + url.substring("jdbc:postgresql:".length()); // jdbc:postgresql:database
            jdbc = true;
        } else {
            throw new IllegalArgumentException("not a PostgreSQL URL: expected " + FORM + " or jdbc:postgresql://HOST:PORT/DATABASE");
        }
        String query = null;
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        int slash = rest.indexOf('/');
        var authority = slash < 0 ? rest : rest.substring(0, slash);
        var database = slash < 0 ? "" : decode(rest.substring(slash + 1));
        String user = null, password = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            if (jdbc) throw new IllegalArgumentException("a jdbc:postgresql: URL names the user and password as ?user=...&password=..., not before the host");
            var info = authority.substring(0, at);
            authority = authority.substring(at + 1);
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            if (colon >= 0) password = decode(info.substring(colon + 1));
        }
        var params = new ArrayList<String>();
        if (query != null) {
            for (var pair : query.split("&")) {
                if (pair.isEmpty()) continue;
                int eq = pair.indexOf('=');
                var key = eq < 0 ? pair : pair.substring(0, eq);
                var value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                switch (key) {
                    case "user" -> user = value;
                    case "password" -> password = value;
                    default -> params.add(pair);
                }
            }
        }
        if (authority.isEmpty()) throw new IllegalArgumentException("names no host: expected " + FORM);
        var hosts = new ArrayList<String>();
        for (var host : authority.split(",")) {
            if (!host.matches("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+)(:[0-9]{1,5})?")) {
                throw new IllegalArgumentException("a host is not a host name or host:port: expected " + FORM);
            }
            hosts.add(host.matches(".*:[0-9]{1,5}") && !host.endsWith("]") ? host : host + ":" + DEFAULT_PORT);
        }
        if (database.isEmpty()) throw new IllegalArgumentException("names no database: expected " + FORM);
        if (!database.matches("[A-Za-z0-9_.$-]+")) throw new IllegalArgumentException("the database name has characters other than letters, digits and _.$-");
        if (user == null || user.isEmpty()) throw new IllegalArgumentException("names no user: expected " + FORM);
        var joined = String.join(",", hosts);
        var jdbcUrl = "jdbc:postgresql://" + joined + "/" + database + (params.isEmpty() ? "" : "?" + String.join("&", params));
        return new PostgresUrl(jdbcUrl, joined, database, user, password == null ? "" : password);
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("has a bad %-escape");
        }
    }

    /** What a message names: {@code database 'db' on host:port as user 'u'}, never the password. */
    public String describe() {
        return "database '" + database + "' on " + hosts + " as user '" + user + "'";
    }

    /** A plain (unpooled) data source for this database; {@code fetchSize} > 0 makes reads in a transaction stream in pages of it. */
    PGSimpleDataSource dataSource(boolean readOnly, int fetchSize) {
        var ds = new PGSimpleDataSource();
        ds.setURL(jdbcUrl);
        ds.setUser(user);
        ds.setPassword(password);
        ds.setConnectTimeout(CONNECT_TIMEOUT_SEC);
        ds.setLoginTimeout(CONNECT_TIMEOUT_SEC);
        ds.setReadOnly(readOnly);
        ds.setApplicationName("alteran");
        // A commit's blocks (and an import's) go as one multi-row INSERT instead of one statement each.
        ds.setReWriteBatchedInserts(true);
        if (fetchSize > 0) ds.setDefaultRowFetchSize(fetchSize);
        return ds;
    }

    /** Connects once, so that an unreachable server or a refused login is one clear message (not a pool's or Flyway's). */
    void probe(DataSource source) {
        try (var c = source.getConnection()) {
            c.isValid(CONNECT_TIMEOUT_SEC);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to PostgreSQL " + describe() + ": " + redact(e.getMessage()));
        }
    }

    /** {@code text} with every occurrence of the password masked, for messages that quote a driver's. */
    String redact(String text) {
        return text == null || password.isEmpty() ? text : text.replace(password, "***");
    }

    @Override
    public String toString() {
        return "PostgresUrl[" + jdbcUrl + ", user=" + user + "]";
    }
}
