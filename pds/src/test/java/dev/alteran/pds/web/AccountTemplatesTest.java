package dev.alteran.pds.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.pds.store.RepoStats.DayValue;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The account templates as the server renders them: whatever strangers control (an OAuth app's
 * name and client ID from its metadata, its scopes, an app password's name, a record's text) comes
 * out as text, never as markup.
 */
class AccountTemplatesTest {
    static final String HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'";
    final TemplateEngine templates = TemplateEngine.createPrecompiled(null, ContentType.Html, null, "dev.alteran.pds.web.templates");

    String render(String template, Map<String, Object> params) {
        var out = new StringOutput();
        templates.render(template, params, out);
        return out.toString();
    }

    static Pages.Shell shell() {
        return new Pages.Shell(WebPages.STYLESHEET, WebPages.SCRIPT, "Access", "/account/access", "alice.test", "token", null, null);
    }

    static void escaped(String html) {
        assertThat(html).doesNotContain("<script>alert", "<img src=x");
        assertThat(html).contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;");
    }

    @Test
    void anAppsNameClientIdAndScopesAndAnAppPasswordsNameAreText() {
        var access = new Dashboard.Access(
                List.of(new Dashboard.OAuthApp("ses-1", "https://app.example.com/" + HOSTILE, HOSTILE, List.of("atproto", HOSTILE),
                        "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z")),
                List.of(new Dashboard.AppPassword(HOSTILE, "2026-01-01T00:00:00.000Z", false)),
                List.of(new Dashboard.PasswordSession("jti-1", HOSTILE, "2026-03-01T00:00:00.000Z")));
        var html = render("account/access.jte", Map.of("shell", shell(), "data", access, "created", new Pages.NewPassword(HOSTILE, "abcd-efgh-ijkl-mnop")));
        escaped(html);
        assertThat(html).contains("<span class=\"app-name\">&lt;script&gt;");
        // In an attribute the quotes are escaped too, so the value cannot end early.
        assertThat(html).contains("name=\"name\" value=\"&lt;script>alert(1)&lt;/script>&lt;img src=x onerror=alert(2)>&#34;&#39;\"");
    }

    @Test
    void aRecordsTextAndTheHandleAreText() {
        var overview = new Dashboard.Overview("alice.test", "did:web:localhost", null, HOSTILE, "active",
                new Dashboard.Commit("3kabc", "2026-01-01T00:00:00.000Z", "bafy"), List.of(),
                List.of(new Dashboard.LatestRecord("at://did:web:localhost/app.bsky.feed.post/3k", "bafy", "2026-01-01T00:00:00.000Z",
                        "{\"text\":\"" + HOSTILE + "\"}")));
        var html = render("account/overview.jte", Map.of("shell", shell(), "data", overview));
        escaped(html);
        var status = new StringOutput();
        templates.render("status.jte", new Pages.Status(WebPages.STYLESHEET, HOSTILE, HOSTILE, true, Map.of("database", "ok")), status);
        escaped(status.toString());
    }

    @Test
    void chartsAreNumbersInAViewBox() {
        var days = List.of(new DayValue("2026-01-01", 0), new DayValue("2026-01-02", 4), new DayValue("2026-01-03", 2));
        var bars = Chart.bars("Records", days, "records");
        assertThat(bars.bars()).hasSize(3);
        assertThat(bars.bars().get(0).height()).isEqualTo("0.0");
        assertThat(bars.bars().get(1).height()).isEqualTo("156.0"); // the highest bar fills the chart, less a margin
        assertThat(bars.bars().get(2).height()).isEqualTo("78.0");
        assertThat(bars.summary()).isEqualTo("6 records in 3 days");

        var growth = Chart.totalOverTime("Storage", List.of(new DayValue("2026-01-01", 1024), new DayValue("2026-01-03", 2048)),
                LocalDate.parse("2026-01-05"));
        // A step line: flat until the day the total grows, then on to today.
        assertThat(growth.line()).isEqualTo("0.0,82.0 300.0,82.0 300.0,4.0 600,4.0");
        assertThat(growth.summary()).isEqualTo("2.0 KB now, since 2026-01-01");
        var html = render("account/chart.jte", Map.of("chart", growth, "id", "c"));
        assertThat(html).contains("<polyline class=\"line\" points=\"0.0,82.0 300.0,82.0 300.0,4.0 600,4.0\">");
        assertThat(Chart.bytes(1536)).isEqualTo("1.5 KB");
        assertThat(Chart.percent(50, 200)).isEqualTo("25.0");
    }
}
