package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.plc.PlcOperation;
import dev.alteran.pds.xrpc.IdentityHandlers;
import jakarta.mail.internet.InternetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * requestPlcOperationSignature with an SMTP server configured: the code goes by e-mail (to a real
 * SMTP server on a loopback port, GreenMail) and signPlcOperation takes it; a server that cannot be
 * reached or refuses our login is a clear 502, and nothing is left in the data directory.
 */
class PlcTokenMailTest {
    private static final String OWNER = "alice@example.com";
    private static final String FROM = "pds@example.net";
    private static final String SMTP_USER = "mailer";
    /** Characters that must be percent-encoded in the URL, and a '+' that must stay a plus. */
    private static final String SMTP_PASSWORD = "s3cr+t:/@pw";
    private static final Pattern TOKEN = Pattern.compile("[A-Z2-7]{5}-[A-Z2-7]{5}");

    private final Keypair rotation = Keypair.generate(Curve.K256);
    private StandInPlcDirectory plc;
    private GreenMail mail;
    private TestServer server;
    private String accessJwt;

    @BeforeEach
    void start() throws Exception {
        plc = new StandInPlcDirectory();
        mail = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP))
                .withConfiguration(GreenMailConfiguration.aConfig().withUser(FROM, SMTP_USER, SMTP_PASSWORD));
        mail.start();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (server != null) server.close();
        } finally {
            mail.stop();
            plc.close();
        }
    }

    private void startServer(String smtpUrl) throws Exception {
        var genesis = PlcOperation.atproto(List.of(rotation.didKey()), Keypair.generate(Curve.K256).didKey(), TestServer.HANDLE,
                "https://old-pds.example.com").sign(rotation);
        var values = new HashMap<String, String>(Map.of(
                "PDS_DID", plc.create(genesis),
                "PDS_PLC_ROTATION_KEY", HexFormat.of().formatHex(rotation.privateKeyBytes()),
                "PDS_PLC_URL", plc.url(),
                "PDS_EMAIL", OWNER,
                "PDS_EMAIL_SMTP_URL", smtpUrl,
                "PDS_EMAIL_FROM_ADDRESS", FROM));
        server = TestServer.start(values);
        accessJwt = AuthClient.login(server).path("accessJwt").asText();
    }

    private String smtpUrl(String password, int port) {
        return "smtp://" + SMTP_USER + ":" + URLEncoder.encode(password, StandardCharsets.UTF_8) + "@127.0.0.1:" + port;
    }

    private HttpResponse<String> post(String nsid, String body) throws Exception {
        var request = HttpRequest.newBuilder(URI.create(server.url("/xrpc/" + nsid)))
                .header("authorization", "Bearer " + accessJwt);
        request = body == null ? request.POST(HttpRequest.BodyPublishers.noBody())
                : request.header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        return server.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theCodeArrivesByMailAndSignsAnOperation() throws Exception {
        startServer(smtpUrl(SMTP_PASSWORD, mail.getSmtp().getPort()));
        var requested = post("com.atproto.identity.requestPlcOperationSignature", null);
        assertThat(requested.statusCode()).as(requested.body()).isEqualTo(200);

        assertThat(mail.waitForIncomingEmail(10_000, 1)).as("a message arrived").isTrue();
        var messages = mail.getReceivedMessages();
        assertThat(messages).hasSize(1);
        var message = messages[0];
        assertThat(message.getAllRecipients()).containsExactly(new InternetAddress(OWNER));
        assertThat(message.getFrom()).containsExactly(new InternetAddress(FROM));
        assertThat(message.getSubject()).contains(TestServer.HANDLE);
        assertThat(message.getContentType()).startsWith("text/plain");
        var body = GreenMailUtil.getBody(message);
        var matcher = TOKEN.matcher(body);
        assertThat(matcher.find()).as(body).isTrue();
        var token = matcher.group();
        // With mail, nothing is left in the data directory.
        assertThat(server.dataDir.resolve(IdentityHandlers.TOKEN_FILE)).doesNotExist();

        var credentials = (ObjectNode) TestServer.json(AuthClient.getWithToken(server,
                "/xrpc/com.atproto.identity.getRecommendedDidCredentials", accessJwt));
        credentials.put("token", token);
        var signed = post("com.atproto.identity.signPlcOperation", credentials.toString());
        assertThat(signed.statusCode()).as(signed.body()).isEqualTo(200);
        assertThat(TestServer.json(signed).path("operation").path("sig").isTextual()).isTrue();
    }

    @Test
    void anUnreachableServerIsAClearErrorAndLeavesNoCode() throws Exception {
        int closed;
        try (var s = new ServerSocket(0)) {
            closed = s.getLocalPort(); // free once closed: nothing listens there
        }
        startServer(smtpUrl(SMTP_PASSWORD, closed));
        assertRefused(post("com.atproto.identity.requestPlcOperationSignature", null));
    }

    @Test
    void aRefusedLoginIsAClearError() throws Exception {
        startServer(smtpUrl("wrong password", mail.getSmtp().getPort()));
        assertRefused(post("com.atproto.identity.requestPlcOperationSignature", null));
        assertThat(mail.getReceivedMessages()).isEmpty();
    }

    private void assertRefused(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
        var error = TestServer.json(r);
        assertThat(error.path("error").asText()).isEqualTo("UpstreamFailure");
        assertThat(error.path("message").asText()).contains("e-mail").contains("alteran plc token");
        assertThat(r.body()).doesNotContain(SMTP_PASSWORD).doesNotContain("wrong password");
        assertThat(server.dataDir.resolve(IdentityHandlers.TOKEN_FILE)).doesNotExist();
        try (var files = Files.list(server.dataDir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("plc-token"));
        }
    }
}
