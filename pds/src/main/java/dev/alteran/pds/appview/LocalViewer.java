package dev.alteran.pds.appview;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DataJson;
import dev.alteran.pds.store.RecordIndex;
import dev.alteran.pds.store.StoredRecord;
import dev.alteran.pds.wire.Json;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * AppView-shaped views of our own records, built here for read-after-write: profile fields over an
 * AppView profile, and post views of posts the AppView has not seen yet (counts zero, author from
 * our profile record, image and link embeds; quoted records are left out, they would need the
 * AppView). Images point at this PDS's getBlob, as the reference PDS does without a CDN.
 */
final class LocalViewer {
    static final String PROFILE = "app.bsky.actor.profile";
    static final String POST = "app.bsky.feed.post";

    private final String did;
    private final String handle;
    private final String origin;
    private final RecordIndex records;

    /** {@code origin}: this PDS as clients reach it (scheme, host, port), for image URLs. */
    LocalViewer(String did, String handle, String origin, RecordIndex records) {
        this.did = did;
        this.handle = handle;
        this.origin = origin;
        this.records = records;
    }

    String did() {
        return did;
    }

    /** {@code view} (a profileViewDetailed) with name, description, avatar and banner from our profile record. */
    ObjectNode updateProfileDetailed(ObjectNode view, Map<String, Object> profile) {
        var out = updateProfileBasic(view, profile);
        set(out, "description", text(profile, "description"));
        set(out, "banner", blobUrl(profile.get("banner")));
        return out;
    }

    /** {@code view} (a profileViewBasic) with name and avatar from our profile record. */
    ObjectNode updateProfileBasic(ObjectNode view, Map<String, Object> profile) {
        var out = view.deepCopy();
        set(out, "displayName", text(profile, "displayName"));
        set(out, "avatar", blobUrl(profile.get("avatar")));
        return out;
    }

    /** Our profileViewBasic from the current profile record. */
    ObjectNode profileBasic() {
        var out = Json.object().put("did", did).put("handle", handle);
        StoredRecord profile = records.get(PROFILE, "self", null);
        return profile == null ? out : updateProfileBasic(out, profile.value());
    }

    /** A postView of our own post, as the AppView will show it once it has indexed it. */
    ObjectNode postView(RecordIndex.Written post) {
        var value = post.record().value();
        var out = Json.object()
                .put("uri", post.record().uri())
                .put("cid", post.record().cid().toString())
                .put("likeCount", 0) // a post this fresh has no likes or replies the AppView knows of
                .put("replyCount", 0)
                .put("repostCount", 0)
                .put("quoteCount", 0);
        out.set("author", profileBasic());
        out.set("record", DataJson.toJson(value));
        var embed = embed(value.get("embed"));
        if (embed != null) out.set("embed", embed);
        out.put("indexedAt", post.indexedAt());
        return out;
    }

    private JsonNode embed(Object embed) {
        if (!(embed instanceof Map<?, ?> m)) return null;
        var type = m.get("$type");
        if ("app.bsky.embed.images".equals(type) && m.get("images") instanceof List<?> images) {
            var views = Json.array();
            for (var image : images) {
                if (!(image instanceof Map<?, ?> img)) continue;
                var cid = blobCid(img.get("image"));
                if (cid == null) continue;
                var view = views.addObject().put("thumb", imageUrl(cid)).put("fullsize", imageUrl(cid));
                if (img.get("aspectRatio") != null) view.set("aspectRatio", DataJson.toJson(img.get("aspectRatio")));
                view.put("alt", img.get("alt") instanceof String alt ? alt : "");
            }
            var out = Json.object().put("$type", "app.bsky.embed.images#view");
            out.set("images", views);
            return out;
        }
        if ("app.bsky.embed.external".equals(type) && m.get("external") instanceof Map<?, ?> ext) {
            var external = Json.object()
                    .put("uri", string(ext.get("uri")))
                    .put("title", string(ext.get("title")))
                    .put("description", string(ext.get("description")));
            set(external, "thumb", blobUrl(ext.get("thumb")));
            var out = Json.object().put("$type", "app.bsky.embed.external#view");
            out.set("external", external);
            return out;
        }
        return null;
    }

    private String blobUrl(Object blob) {
        var cid = blobCid(blob);
        return cid == null ? null : imageUrl(cid);
    }

    String imageUrl(String cid) {
        return origin + "/xrpc/com.atproto.sync.getBlob?did=" + URLEncoder.encode(did, StandardCharsets.UTF_8) + "&cid=" + cid;
    }

    /** The CID of a blob reference: {@code ref} of a typed blob, {@code cid} of a legacy one. */
    private static String blobCid(Object blob) {
        if (!(blob instanceof Map<?, ?> m)) return null;
        if (m.get("ref") instanceof Cid cid) return cid.toString();
        return m.get("cid") instanceof String s ? s : null;
    }

    private static String text(Map<String, Object> record, String field) {
        return record.get(field) instanceof String s ? s : null;
    }

    private static String string(Object value) {
        return value instanceof String s ? s : "";
    }

    /** Sets or, for null, removes a field: the record's absent value wins over the AppView's stale one. */
    private static void set(ObjectNode node, String field, String value) {
        if (value == null) node.remove(field);
        else node.put(field, value);
    }
}
