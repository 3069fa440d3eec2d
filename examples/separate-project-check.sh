#!/usr/bin/env bash
# Checks the Spring Boot starter as a Boot user gets it: from a project of its own, outside this build.
#   examples/separate-project-check.sh [work dir]
# Everything comes from ~/.m2/repository as the build left it: nothing is downloaded.
#
# 1. Deploys the parent POM, atproto, pds and the starter to a file repository in the work directory
#    (not installed: the shared local repository keeps nothing of it).
# 2. Writes a minimal Boot 4 application there: its own pom (Boot's BOM, spring-boot-starter-web, the
#    starter, the file repository), one main class. It is built with a local repository of its own; every
#    other artifact is copied from ~/.m2/repository, read as a file repository, so nothing is downloaded.
# 3. Starts the application's jar with a few alteran.* properties and checks GET /health,
#    com.atproto.server.describeServer and a com.atproto.sync.subscribeRepos WebSocket (a first frame).
# It takes minutes, most of them building: not part of CI.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../bin/find-java.sh
. bin/find-java.sh
M2="$HOME/.m2/repository"
if [ -n "${1:-}" ]; then mkdir -p "$1"; WORK="$(cd "$1" && pwd)"; else WORK="$(mktemp -d)"; fi
REPO="$WORK/repo" APP="$WORK/app" LOCAL="$WORK/local-repo" DATA="$WORK/data"
BOOT_VERSION="$(sed -n 's:.*<spring-boot.version>\(.*\)</spring-boot.version>.*:\1:p' spring-boot-starter/pom.xml)"
VERSION="$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' pom.xml)"
# The versions of the libraries the PDS is tested with where Boot's BOM names others (README, "Spring Boot").
managed() { sed -n "s:.*<artifactId>$1</artifactId><version>\([^<]*\)</version>.*:\1:p" pom.xml; }
FLYWAY="$(managed flyway-core)" SQLITE="$(managed sqlite-jdbc)" POSTGRESQL="$(managed postgresql)"
echo "== work directory $WORK (Boot $BOOT_VERSION, Alteran $VERSION; Flyway $FLYWAY, sqlite-jdbc $SQLITE, PostgreSQL driver $POSTGRESQL)"

echo "== 1. deploy to $REPO"
# Not offline (-o): the deploy plugin refuses to run offline, although a file:// target needs no network.
# maven.install.skip: deploy runs the install phase first, which would write into the shared local repository.
./mvnw -B -ntp -pl atproto,pds,spring-boot-starter -am -DskipTests -Dmaven.javadoc.skip=true -Dspotless.skip \
  -Dmaven.install.skip=true deploy -DaltDeploymentRepository="alteran-check::file://$REPO" > "$WORK/deploy.log" 2>&1 ||
  { tail -40 "$WORK/deploy.log"; exit 1; }
# Deploying leaves the file repository's metadata cached beside the local repository's own: remove it again.
find "$M2/dev/alteran" -name 'maven-metadata-alteran-check.xml*' -delete
# (grep -L lists the files with no other entry; its status is 1 for them, hence the "|| true")
{ find "$M2/dev/alteran" -name resolver-status.properties -exec grep -L -v -e '^#' -e '^maven-metadata-alteran-check' {} + || true; } |
  xargs -r rm -f

echo "== 2. build a separate Boot application in $APP"
mkdir -p "$APP/src/main/java/example" "$LOCAL"
cat > "$WORK/settings.xml" <<EOF
<settings>
  <localRepository>$LOCAL</localRepository>
  <mirrors>
    <!-- everything but Alteran's file repository comes from the existing local repository, read only -->
    <mirror><id>existing-local</id><mirrorOf>*,!alteran-check</mirrorOf><url>file://$M2</url></mirror>
  </mirrors>
</settings>
EOF
cat > "$APP/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>pds-app</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>21</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <repositories>
    <repository><id>alteran-check</id><url>file://$REPO</url><snapshots><enabled>true</enabled></snapshots></repository>
  </repositories>
  <dependencyManagement>
    <dependencies>
      <!-- before Boot's BOM, so these win: Boot names older ones -->
      <dependency><groupId>org.flywaydb</groupId><artifactId>flyway-core</artifactId><version>$FLYWAY</version></dependency>
      <dependency><groupId>org.flywaydb</groupId><artifactId>flyway-database-postgresql</artifactId><version>$FLYWAY</version></dependency>
      <dependency><groupId>org.xerial</groupId><artifactId>sqlite-jdbc</artifactId><version>$SQLITE</version></dependency>
      <dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId><version>$POSTGRESQL</version></dependency>
      <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-dependencies</artifactId><version>$BOOT_VERSION</version><type>pom</type><scope>import</scope></dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency>
    <dependency><groupId>dev.alteran</groupId><artifactId>alteran-spring-boot-starter</artifactId><version>$VERSION</version></dependency>
  </dependencies>
  <build>
    <finalName>pds-app</finalName>
    <plugins>
      <!-- the versions this repository's build uses, so the existing local repository has them -->
      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.14.1</version></plugin>
      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId><version>3.5.4</version></plugin>
      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-jar-plugin</artifactId><version>3.4.2</version></plugin>
      <plugin><groupId>org.springframework.boot</groupId><artifactId>spring-boot-maven-plugin</artifactId><version>$BOOT_VERSION</version>
        <executions><execution><goals><goal>repackage</goal></goals></execution></executions></plugin>
    </plugins>
  </build>
</project>
EOF
cat > "$APP/src/main/java/example/PdsApp.java" <<'EOF'
package example;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class PdsApp {
    public static void main(String[] args) {
        SpringApplication.run(PdsApp.class, args);
    }
}
EOF
# A WebSocket client for step 3: the JDK's, run from source.
cat > "$WORK/SubscribeCheck.java" <<'EOF'
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** Connects to subscribeRepos from cursor 0 and expects a first frame naming an event type (#identity, #account, #commit...). */
public class SubscribeCheck {
    public static void main(String[] args) throws Exception {
        var first = new CompletableFuture<String>();
        var ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(args[0]), new WebSocket.Listener() {
            private final java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();

            @Override
            public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
                var bytes = new byte[data.remaining()];
                data.get(bytes);
                frame.writeBytes(bytes);
                if (last) first.complete(frame.toString(StandardCharsets.ISO_8859_1));
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int code, String reason) {
                first.completeExceptionally(new IllegalStateException("closed: " + code + " " + reason));
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                first.completeExceptionally(error);
            }
        }).get(10, TimeUnit.SECONDS);
        var frame = first.get(20, TimeUnit.SECONDS);
        var type = java.util.regex.Pattern.compile("#(identity|account|commit|sync|info)").matcher(frame);
        if (!type.find()) throw new IllegalStateException("the first frame names no event type");
        System.out.println("subscribeRepos: first frame " + type.group() + ", " + frame.length() + " bytes");
        ws.abort();
    }
}
EOF
(cd "$APP" && mvn -s "$WORK/settings.xml" -B -ntp -DskipTests package > "$WORK/app-build.log" 2>&1) ||
  { tail -40 "$WORK/app-build.log"; exit 1; }
# The jar carries the starter and pds just built and deployed, not an older copy from elsewhere.
for m in pds spring-boot-starter; do
  entry="$(unzip -Z1 "$APP/target/pds-app.jar" | grep "^BOOT-INF/lib/alteran-$m-[0-9]")"
  unzip -p "$APP/target/pds-app.jar" "$entry" | cmp -s - "$m/target/alteran-$m-$VERSION.jar" ||
    { echo "the application's $entry is not this build's alteran-$m"; exit 1; }
  echo "$entry: this build's"
done

echo "== 3. start it and check it"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
# Settings as properties on the command line, secrets in the environment (fresh ones, as the README's example).
ALTERAN_USER_PASSWORD='separate project check' ALTERAN_ACCESS_TOKEN="$(openssl rand -hex 32)" \
  ALTERAN_REFRESH_TOKEN="$(openssl rand -hex 32)" ALTERAN_REPO_SIGNING_KEY="$(openssl rand -hex 32)" \
  java -jar "$APP/target/pds-app.jar" --server.address=127.0.0.1 --server.port="$PORT" --alteran.env=dev \
  --alteran.did="did:web:localhost%3A$PORT" --alteran.hostname="localhost:$PORT" --alteran.handle=alice.test \
  --alteran.data-dir="$DATA" > "$WORK/app.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true' EXIT
up=
for _ in $(seq 1 240); do # up to about 2 minutes on a busy machine
  if curl -fsS "$BASE/health" > "$WORK/health.json" 2>/dev/null; then up=1; break; fi
  kill -0 "$PID" 2>/dev/null || { tail -40 "$WORK/app.log"; echo "the application exited"; exit 1; }
  sleep 0.5
done
[ -n "$up" ] || { tail -40 "$WORK/app.log"; echo "no answer from $BASE/health"; exit 1; }
echo "health: $(cat "$WORK/health.json")"
curl -fsS "$BASE/xrpc/com.atproto.server.describeServer" | tee "$WORK/describe.json" | grep -q '"did"' ||
  { echo "describeServer: no did"; exit 1; }
echo "describeServer: $(cat "$WORK/describe.json")"
java "$WORK/SubscribeCheck.java" "ws://127.0.0.1:$PORT/xrpc/com.atproto.sync.subscribeRepos?cursor=0"
echo "== the starter works from a separate project"
