package dev.alteran.pds.config;

import java.util.Locale;

/** The deployment mode, from {@code ALTERAN_ENV}. Production turns on the strict checks. */
public enum Environment {
    DEV, STAGING, PRODUCTION;

    public static Environment parse(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "dev", "development" -> DEV;
            case "staging" -> STAGING;
            case "production", "prod" -> PRODUCTION;
            default -> throw new IllegalArgumentException("ALTERAN_ENV must be dev, staging or production, not '" + value + "'");
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
