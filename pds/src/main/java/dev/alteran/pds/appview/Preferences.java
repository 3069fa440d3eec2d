package dev.alteran.pds.appview;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.wire.Json;
import dev.alteran.pds.wire.XrpcException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The account's {@code app.bsky} preferences, kept by this PDS as the reference PDS keeps them: a
 * put replaces all of them; personal details (the birth date) are seen and set only by full
 * sessions, never by app passwords, privileged or not; the declared-age preference is derived from
 * the birth date on every read and never stored.
 */
public final class Preferences {
    static final String NAMESPACE = "app.bsky";
    static final String PERSONAL_DETAILS = "app.bsky.actor.defs#personalDetailsPref";
    static final String DECLARED_AGE = "app.bsky.actor.defs#declaredAgePref";

    private final Database db;
    private final Clock clock;

    public Preferences(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** The stored preferences in the order they were put, plus the derived age, as {@code fullAccess} may see them. */
    public List<ObjectNode> get(boolean fullAccess) {
        var prefs = db.read(c -> {
            var out = new ArrayList<ObjectNode>();
            try (var st = c.prepareStatement("SELECT name, value_json FROM preference ORDER BY id");
                 var rs = st.executeQuery()) {
                while (rs.next()) {
                    if (inNamespace(rs.getString(1))) out.add(parse(rs.getString(2)));
                }
            }
            return out;
        });
        prefs.stream().filter(p -> PERSONAL_DETAILS.equals(p.path("$type").asText())).findFirst()
                .map(p -> p.path("birthDate").asText(null))
                .ifPresent(birthDate -> prefs.add(declaredAge(birthDate)));
        return prefs.stream().filter(p -> allowed(p.path("$type").asText(), fullAccess)).toList();
    }

    /**
     * Replaces the preferences {@code fullAccess} may set with {@code prefs} (each an object with a
     * {@code $type}). Personal details kept from a full session survive an app password's put.
     *
     * @throws XrpcException 400 for a preference outside {@code app.bsky} or one this session may not set
     */
    public void put(List<ObjectNode> prefs, boolean fullAccess) {
        if (!prefs.stream().allMatch(p -> inNamespace(p.path("$type").asText()))) {
            throw XrpcException.invalidRequest("Some preferences are not in the " + NAMESPACE + " namespace");
        }
        var forbidden = prefs.stream().map(p -> p.path("$type").asText()).filter(t -> !allowed(t, fullAccess)).toList();
        if (!forbidden.isEmpty()) {
            throw XrpcException.invalidRequest("Do not have authorization to set preferences: " + String.join(", ", forbidden));
        }
        db.write(c -> {
            var keep = fullAccess ? "" : " WHERE name <> '" + PERSONAL_DETAILS + "'";
            try (var st = c.createStatement()) {
                st.executeUpdate("DELETE FROM preference" + keep);
            }
            try (var insert = c.prepareStatement("INSERT INTO preference (name, value_json) VALUES (?, ?)")) {
                for (var p : prefs) {
                    var type = p.path("$type").asText();
                    if (type.equals(DECLARED_AGE)) continue; // derived on read, never stored
                    insert.setString(1, type);
                    insert.setString(2, p.toString());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            return null;
        });
    }

    static boolean inNamespace(String type) {
        return type.equals(NAMESPACE) || type.startsWith(NAMESPACE + ".");
    }

    static boolean allowed(String type, boolean fullAccess) {
        return fullAccess || !type.equals(PERSONAL_DETAILS);
    }

    private ObjectNode declaredAge(String birthDate) {
        long age = age(birthDate);
        return Json.object().put("$type", DECLARED_AGE)
                .put("isOverAge13", age >= 13).put("isOverAge16", age >= 16).put("isOverAge18", age >= 18);
    }

    /** Whole years from the birth date to today (UTC); -1 for a date that does not parse. */
    long age(String birthDate) {
        LocalDate born;
        try {
            born = OffsetDateTime.parse(birthDate).withOffsetSameInstant(ZoneOffset.UTC).toLocalDate();
        } catch (DateTimeParseException e) {
            try {
                born = LocalDate.parse(birthDate);
            } catch (DateTimeParseException e2) {
                return -1;
            }
        }
        return ChronoUnit.YEARS.between(born, LocalDate.now(clock.withZone(ZoneOffset.UTC)));
    }

    private static ObjectNode parse(String json) {
        try {
            return (ObjectNode) Json.READER.readTree(json);
        } catch (JsonProcessingException | ClassCastException e) {
            throw new IllegalStateException("stored preference is not a JSON object", e);
        }
    }
}
