package dev.alteran.pds.appview;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class PreferencesTest {
    final Preferences prefs = new Preferences(null, Clock.fixed(Instant.parse("2025-06-15T12:00:00Z"), ZoneOffset.UTC));

    @Test
    void ageCountsWholeYearsInUtc() {
        assertThat(prefs.age("2007-06-15T00:00:00.000Z")).isEqualTo(18);
        assertThat(prefs.age("2007-06-16T00:00:00.000Z")).isEqualTo(17);
        assertThat(prefs.age("2007-06-15T23:30:00-02:00")).isEqualTo(17); // the 16th in UTC
        assertThat(prefs.age("2012-01-01")).isEqualTo(13);
        assertThat(prefs.age("not a date")).isEqualTo(-1);
    }

    @Test
    void namespaceAndAccess() {
        assertThat(Preferences.inNamespace("app.bsky.actor.defs#adultContentPref")).isTrue();
        assertThat(Preferences.inNamespace("app.bsky")).isTrue();
        assertThat(Preferences.inNamespace("app.bskyx.pref")).isFalse();
        assertThat(Preferences.inNamespace("com.example.pref")).isFalse();
        assertThat(Preferences.allowed(Preferences.PERSONAL_DETAILS, false)).isFalse();
        assertThat(Preferences.allowed(Preferences.PERSONAL_DETAILS, true)).isTrue();
        assertThat(Preferences.allowed(Preferences.DECLARED_AGE, false)).isTrue();
    }
}
