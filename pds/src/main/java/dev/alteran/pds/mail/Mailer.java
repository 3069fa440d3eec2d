package dev.alteran.pds.mail;

import dev.alteran.pds.config.EmailConfig;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.Optional;
import java.util.Properties;

/**
 * Sends plain-text mail through the configured SMTP server ({@code PDS_EMAIL_SMTP_URL}) with Jakarta
 * Mail. {@code smtps://} speaks TLS from the start; {@code smtp://} upgrades with STARTTLS when the
 * server offers it, and insists on it when it would send a password ({@code requireStartTls}), so
 * credentials never cross the network in clear. Every network step has a bounded timeout, so a
 * request that sends mail cannot hang on a dead server.
 */
public final class Mailer {
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final EmailConfig.Smtp smtp;
    private final InternetAddress from;
    private final Session session;

    /** A failed send: the SMTP server could not be reached, refused us, or refused the message. */
    public static final class MailException extends RuntimeException {
        MailException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    Mailer(EmailConfig.Smtp smtp, String fromAddress, boolean requireStartTls, Duration timeout) {
        this.smtp = smtp;
        try {
            this.from = new InternetAddress(fromAddress, true);
        } catch (MessagingException e) {
            throw new IllegalArgumentException("not an e-mail address: " + fromAddress, e);
        }
        var protocol = smtp.tls() ? "smtps" : "smtp";
        var props = new Properties();
        props.put("mail.transport.protocol", protocol);
        var p = "mail." + protocol + ".";
        props.put(p + "host", smtp.host());
        props.put(p + "port", Integer.toString(smtp.port()));
        props.put(p + "auth", Boolean.toString(smtp.hasCredentials()));
        String millis = Long.toString(timeout.toMillis());
        props.put(p + "connectiontimeout", millis);
        props.put(p + "timeout", millis);
        props.put(p + "writetimeout", millis);
        props.put(p + "ssl.checkserveridentity", "true");
        if (!smtp.tls()) {
            props.put("mail.smtp.starttls.enable", "true");
            if (requireStartTls && smtp.hasCredentials()) props.put("mail.smtp.starttls.required", "true");
        }
        this.session = Session.getInstance(props);
    }

    /**
     * The mailer of this configuration, empty when no SMTP server is configured. Outside development a
     * password over {@code smtp://} needs the server's STARTTLS.
     */
    public static Optional<Mailer> of(EmailConfig email, boolean development) {
        if (!email.isEnabled()) return Optional.empty();
        return email.smtp().map(smtp -> new Mailer(smtp, email.fromAddress(), !development, TIMEOUT));
    }

    /** Sends {@code text} as a plain UTF-8 message; returns once the server accepted it. */
    public void send(String to, String subject, String text) {
        try {
            var message = new MimeMessage(session);
            message.setFrom(from);
            message.setRecipient(MimeMessage.RecipientType.TO, new InternetAddress(to, true));
            message.setSubject(subject, StandardCharsets.UTF_8.name());
            message.setSentDate(new Date());
            message.setText(text, StandardCharsets.UTF_8.name());
            message.saveChanges();
            // The transport by name: Transport.send would pick plain smtp for any address.
            try (Transport transport = session.getTransport(smtp.tls() ? "smtps" : "smtp")) {
                transport.connect(smtp.host(), smtp.port(), smtp.user(), smtp.password());
                transport.sendMessage(message, message.getAllRecipients());
            }
        } catch (MessagingException e) {
            throw new MailException("sending mail through " + smtp + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "Mailer[" + smtp + "]";
    }
}
