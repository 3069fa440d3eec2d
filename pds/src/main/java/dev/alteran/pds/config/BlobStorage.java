package dev.alteran.pds.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Where blob bytes live: {@code fs} (files under the data directory, the default) or {@code s3}
 * (an S3-compatible bucket). The S3 fields are unused for {@code fs}.
 *
 * @param store             {@code PDS_BLOB_STORE}: {@code fs} or {@code s3}
 * @param s3Endpoint        {@code PDS_S3_ENDPOINT}: the service URL; null means AWS for the region
 * @param s3Bucket          {@code PDS_S3_BUCKET}
 * @param s3Region          {@code PDS_S3_REGION}: signing region (any value for most S3-compatible services)
 * @param s3AccessKeyId     {@code PDS_S3_ACCESS_KEY_ID}: with the secret, or both null for the SDK's default credentials
 * @param s3SecretAccessKey {@code PDS_S3_SECRET_ACCESS_KEY}
 * @param s3ForcePathStyle  {@code PDS_S3_FORCE_PATH_STYLE}: {@code endpoint/bucket/key} URLs instead of
 *                          {@code bucket.endpoint/key} (MinIO and most self-hosted services want it)
 */
public record BlobStorage(String store, String s3Endpoint, String s3Bucket, String s3Region, String s3AccessKeyId,
                          String s3SecretAccessKey, boolean s3ForcePathStyle) {
    public static final String FS = "fs";
    public static final String S3 = "s3";
    public static final String DEFAULT_REGION = "us-east-1";
    /** One S3 PutObject carries at most 5 GiB; blobs are written in one request. */
    static final long S3_MAX_OBJECT = 5L * 1024 * 1024 * 1024;

    public static BlobStorage filesystem() {
        return new BlobStorage(FS, null, null, DEFAULT_REGION, null, null, false);
    }

    public boolean isS3() {
        return S3.equals(store);
    }

    /** Problems with these options, given the configured maximum blob size. */
    public List<String> problems(long maxBlobSize) {
        var problems = new ArrayList<String>();
        if (!FS.equals(store) && !S3.equals(store)) {
            problems.add("PDS_BLOB_STORE: must be 'fs' or 's3', not '" + store + "'");
            return problems;
        }
        if (!isS3()) return problems;
        if (s3Bucket == null) problems.add("PDS_S3_BUCKET: required when PDS_BLOB_STORE is s3");
        else if (!s3Bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            problems.add("PDS_S3_BUCKET: '" + s3Bucket + "' is not a valid bucket name");
        }
        if (s3Endpoint != null && !s3Endpoint.matches("https?://[^/\\s?#]+/?")) {
            problems.add("PDS_S3_ENDPOINT: '" + s3Endpoint + "' is not a service URL like https://s3.example.com");
        }
        if (!s3Region.matches("[a-z0-9-]+")) problems.add("PDS_S3_REGION: '" + s3Region + "' is not a region name");
        if ((s3AccessKeyId == null) != (s3SecretAccessKey == null)) {
            problems.add("PDS_S3_ACCESS_KEY_ID and PDS_S3_SECRET_ACCESS_KEY: set both, or neither for the default credentials");
        }
        if (maxBlobSize > S3_MAX_OBJECT) {
            problems.add("PDS_MAX_BLOB_SIZE: at most " + S3_MAX_OBJECT + " bytes (5 GiB) with the s3 blob store");
        }
        return problems;
    }

    @Override
    public String toString() {
        // Never print the secret key.
        return "BlobStorage[store=" + store + (isS3() ? ", endpoint=" + s3Endpoint + ", bucket=" + s3Bucket
                + ", region=" + s3Region + ", pathStyle=" + s3ForcePathStyle : "") + "]";
    }
}
