#include "trustctl/admission/pin.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "trustctl/admission/workloads.h"

using namespace trustctl;
using namespace trustctl::admission;

namespace {

const std::string kFixtures = TRUSTCTL_FIXTURES_DIR "/admission";
const std::string kDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string pin(const std::string& text, const std::vector<ImagePin>& pins) {
  auto out = pin_images(text, "f.yml", pins);
  INFO(text << "\n-> " << (out.ok() ? "" : out.error().message()));
  REQUIRE(out.ok());
  return *out;
}

std::string pin_fails(const std::string& text, const std::vector<ImagePin>& pins, int line) {
  auto out = pin_images(text, "f.yml", pins);
  INFO(text);
  REQUIRE_FALSE(out.ok());
  INFO(out.error().message());
  CHECK(out.error().code() == ErrorCode::kUsage);
  CHECK(out.error().message().starts_with("f.yml:" + std::to_string(line) + ": "));
  return out.error().message();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> lines;
  size_t begin = 0;
  while (true) {
    size_t nl = text.find('\n', begin);
    lines.push_back(text.substr(begin, nl == std::string::npos ? nl : nl - begin + 1));
    if (nl == std::string::npos) break;
    begin = nl + 1;
  }
  return lines;
}

std::string crlf(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

ReadOptions no_env() {
  ReadOptions o;
  o.environment = Environment{};
  o.env_file = "/nonexistent/.env";
  return o;
}

std::string pinned_of(const std::string& image) {
  return image.substr(0, image.find('@')) + "@" + kDigest;
}

// Pins every container of `before` that has an image, then checks that the output differs from
// the input only on those lines and that the readers see the pinned references there.
void check_pins_only_image_lines(const std::string& text, const Document& before,
                                 const std::function<Document(const std::string&)>& reread) {
  std::vector<ImagePin> pins;
  std::set<int> pinned_lines;
  for (const Container& c : before.containers) {
    if (c.image.empty()) continue;
    pins.push_back({c.line, pinned_of(c.image)});
    pinned_lines.insert(c.line);
  }
  REQUIRE(pins.size() >= 2);
  std::string out = pin(text, pins);

  std::vector<std::string> in_lines = split(text);
  std::vector<std::string> out_lines = split(out);
  REQUIRE(in_lines.size() == out_lines.size());
  for (size_t k = 0; k < in_lines.size(); ++k) {
    const int number = static_cast<int>(k) + 1;
    INFO("line " << number);
    if (pinned_lines.count(number) != 0) {
      CHECK(in_lines[k] != out_lines[k]);
      CHECK(out_lines[k].find(kDigest) != std::string::npos);
    } else {
      CHECK(in_lines[k] == out_lines[k]);
    }
  }

  Document after = reread(out);
  REQUIRE(after.containers.size() == before.containers.size());
  for (size_t k = 0; k < after.containers.size(); ++k) {
    const Container& b = before.containers[k];
    const Container& a = after.containers[k];
    INFO(b.name << " at line " << b.line);
    CHECK(a.line == b.line);
    CHECK(a.name == b.name);
    CHECK(a.image == (b.image.empty() ? std::string() : pinned_of(b.image)));
  }
}

}  // namespace

TEST_CASE("pin: a plain image keeps its trailing comment and its spacing") {
  const std::string in =
      "services:\n"
      "  web:\n"
      "    image: localhost:5000/app:v1   # the app\n"
      "    user: app\n";
  CHECK(pin(in, {{3, "localhost:5000/app:v1@" + kDigest}}) ==
        "services:\n"
        "  web:\n"
        "    image: localhost:5000/app:v1@" +
            kDigest +
            "   # the app\n"
            "    user: app\n");
  CHECK(pin("image:    nginx#not-a-comment\n", {{1, "x@" + kDigest}}) ==
        "image:    x@" + kDigest + "\n");
}

TEST_CASE("pin: no pins gives the text back unchanged") {
  const std::string in = "a: 1\r\nimage: x # c\r\n";
  CHECK(pin(in, {}) == in);
}

TEST_CASE("pin: single and double quotes keep their style") {
  CHECK(pin("image: 'x:v1'\n", {{1, "x:v1@" + kDigest}}) == "image: 'x:v1@" + kDigest + "'\n");
  CHECK(pin("image: \"x:v1\"  # q\n", {{1, "x:v1@" + kDigest}}) ==
        "image: \"x:v1@" + kDigest + "\"  # q\n");
  // Escapes: '' inside single quotes, \" and \\ inside double quotes (read back by the pinner).
  CHECK(pin("image: 'it''s'\n", {{1, "a'b"}}) == "image: 'a''b'\n");
  CHECK(pin("image: \"x\\\"y\"\n", {{1, "a\"b\\c"}}) == "image: \"a\\\"b\\\\c\"\n");
}

TEST_CASE("pin: a plain value that cannot stay plain is double-quoted") {
  CHECK(pin("image: x\n", {{1, "a #b"}}) == "image: \"a #b\"\n");
  CHECK(pin("- {image: x}\n", {{1, "a,b"}}) == "- {image: \"a,b\"}\n");
}

TEST_CASE("pin: the key inside a list item") {
  CHECK(pin("containers:\n  - image: nginx:1.25\n    name: web\n", {{2, "nginx@" + kDigest}}) ==
        "containers:\n  - image: nginx@" + kDigest + "\n    name: web\n");
  CHECK(pin("- name: web\n  image: nginx:1.25 # c\n- - image: a\n",
            {{2, "nginx@" + kDigest}, {3, "a@" + kDigest}}) ==
        "- name: web\n  image: nginx@" + kDigest + " # c\n- - image: a@" + kDigest + "\n");
}

TEST_CASE("pin: flow mappings on one line change only the image scalar") {
  CHECK(pin("containers: [{name: a, image: \"nginx\"}]\n", {{1, "nginx@" + kDigest}}) ==
        "containers: [{name: a, image: \"nginx@" + kDigest + "\"}]\n");
  CHECK(pin("- {image: nginx, name: x}\n", {{1, "nginx@" + kDigest}}) ==
        "- {image: nginx@" + kDigest + ", name: x}\n");
  CHECK(pin("c: [ { image: nginx } ]  # c\n", {{1, "n@" + kDigest}}) ==
        "c: [ { image: n@" + kDigest + " } ]  # c\n");
  CHECK(pin("{\"image\": \"nginx\", \"name\": \"x\"}\n", {{1, "n@" + kDigest}}) ==
        "{\"image\": \"n@" + kDigest + "\", \"name\": \"x\"}\n");
}

TEST_CASE("pin: several pins in one file, a line listed twice with the same value") {
  const std::string in =
      "services:\n"
      "  a:\n"
      "    image: a:1\n"
      "  b:\n"
      "    image: 'b:2'\n"
      "  c:\n"
      "    image: c:3\n";
  const std::string out = pin(in, {{5, "b@" + kDigest}, {3, "a@" + kDigest}, {3, "a@" + kDigest}});
  CHECK(out ==
        "services:\n"
        "  a:\n"
        "    image: a@" +
            kDigest +
            "\n"
            "  b:\n"
            "    image: 'b@" +
            kDigest +
            "'\n"
            "  c:\n"
            "    image: c:3\n");
  std::string message = pin_fails(in, {{3, "a@" + kDigest}, {3, "other@" + kDigest}}, 3);
  CHECK(message.find("pinned twice") != std::string::npos);
}

TEST_CASE("pin: an image that already has a digest is replaced whole") {
  const std::string old = "app:v1@sha256:" + std::string(64, 'f');
  CHECK(pin("image: " + old + "\n", {{1, "app:v1@" + kDigest}}) ==
        "image: app:v1@" + kDigest + "\n");
}

TEST_CASE("pin: a compose value with interpolation is replaced whole") {
  CHECK(pin("services:\n  w:\n    image: ${REGISTRY:-localhost:5000}/app:v1\n",
            {{3, "localhost:5000/app:v1@" + kDigest}}) ==
        "services:\n  w:\n    image: localhost:5000/app:v1@" + kDigest + "\n");
  CHECK(pin("image: \"${REGISTRY:-localhost:5000}/app:${TAG-v1}\"\n", {{1, "r/app@" + kDigest}}) ==
        "image: \"r/app@" + kDigest + "\"\n");
}

TEST_CASE("pin: CRLF files keep CRLF and a missing final newline stays missing") {
  CHECK(pin("a: 1\r\nimage: x # c\r\nb: 2\r\n", {{2, "y@" + kDigest}}) ==
        "a: 1\r\nimage: y@" + kDigest + " # c\r\nb: 2\r\n");
  CHECK(pin("a: 1\r\nimage: 'x'\r\n", {{2, "y"}}) == "a: 1\r\nimage: 'y'\r\n");
  CHECK(pin("a: 1\nimage: x", {{2, "y@" + kDigest}}) == "a: 1\nimage: y@" + kDigest);
  CHECK(pin("a: 1\r\nimage: \"x\"", {{2, "y"}}) == "a: 1\r\nimage: \"y\"");
}

TEST_CASE("pin: anchors and tags before the value are kept") {
  CHECK(pin("a:\n  image: &img nginx\nb:\n  image: *img\n", {{2, "n@" + kDigest}}) ==
        "a:\n  image: &img n@" + kDigest + "\nb:\n  image: *img\n");
  CHECK(pin("image: !!str nginx\n", {{1, "n"}}) == "image: !!str n\n");
  CHECK(pin_fails("a:\n  image: &img nginx\nb:\n  image: *img\n", {{4, "n"}}, 4).find("alias") !=
        std::string::npos);
}

TEST_CASE("pin: a flow collection opened on an earlier line") {
  CHECK(pin("c: [\n  {name: a, image: nginx},\n]\n", {{2, "n@" + kDigest}}) ==
        "c: [\n  {name: a, image: n@" + kDigest + "},\n]\n");
}

TEST_CASE("pin: a byte-order mark, a spaced key, a quoted key, several documents") {
  CHECK(pin("\xEF\xBB\xBFimage: x\n", {{1, "y"}}) == "\xEF\xBB\xBFimage: y\n");
  CHECK(pin("image : x\n", {{1, "y"}}) == "image : y\n");
  CHECK(pin("'image': x\n", {{1, "y"}}) == "'image': y\n");
  CHECK(pin("image: x\n---\nimage: x\n", {{3, "y"}}) == "image: x\n---\nimage: y\n");
}

TEST_CASE("pin: a file that is not YAML") {
  // Named where yaml-cpp finds the syntax error, as the readers do.
  CHECK(pin_fails("a: [\nimage: x\n", {{2, "y"}}, 3).find("not YAML") != std::string::npos);
}

TEST_CASE("pin: line numbers out of range are errors naming file:line") {
  const std::string in = "image: x\n";
  pin_fails(in, {{0, "y"}}, 0);
  pin_fails(in, {{2, "y"}}, 2);
  pin_fails(in, {{-3, "y"}}, -3);
  pin_fails("", {{1, "y"}}, 1);
}

TEST_CASE("pin: a line without an image key is an error") {
  std::string m = pin_fails("name: web\nimage: x\n", {{1, "y"}}, 1);
  CHECK(m.find("no image: key") != std::string::npos);
  pin_fails("someimage: x\n", {{1, "y"}}, 1);
  pin_fails("image_name: x\n", {{1, "y"}}, 1);
  pin_fails("images: x\n", {{1, "y"}}, 1);
  pin_fails("image:x\n", {{1, "y"}}, 1);
  pin_fails("name: web # image: x\n", {{1, "y"}}, 1);
  pin_fails("# image: x\n", {{1, "y"}}, 1);
  pin_fails("command: \"image: x\"\n", {{1, "y"}}, 1);
  pin_fails("args: ['--image: x', \"image: y\"]\n", {{1, "y"}}, 1);
  pin_fails("{name: a, someimage: x}\n", {{1, "y"}}, 1);
  pin_fails("\n", {{1, "y"}}, 1);
}

TEST_CASE("pin: block scalars, empty values and multi-line values are errors") {
  CHECK(pin_fails("image: |\n  nginx\n", {{1, "y"}}, 1).find("block scalar") != std::string::npos);
  CHECK(pin_fails("image: >-\n  nginx\n", {{1, "y"}}, 1).find("block scalar") != std::string::npos);
  CHECK(pin_fails("image:\n  nginx\n", {{1, "y"}}, 1).find("no value") != std::string::npos);
  CHECK(pin_fails("image:   # later\n  nginx\n", {{1, "y"}}, 1).find("no value") !=
        std::string::npos);
  pin_fails("{image: , name: x}\n", {{1, "y"}}, 1);
  CHECK(pin_fails("image: \"nginx\n  :1.25\"\n", {{1, "y"}}, 1).find("unterminated") !=
        std::string::npos);
  CHECK(pin_fails("image: 'nginx\n", {{1, "y"}}, 1).find("unterminated") != std::string::npos);
  CHECK(pin_fails("- image: nginx\n    :1.25\n", {{1, "y"}}, 1).find("continued") !=
        std::string::npos);
  pin_fails("image: [a]\n", {{1, "y"}}, 1);
}

TEST_CASE("pin: text that only looks like a key is caught by reading the result back") {
  // Inside a block scalar the line has the shape of a key, but it is not one.
  std::string m = pin_fails("script: |\n  image: nginx\n", {{2, "y"}}, 2);
  CHECK(m.find("read back") != std::string::npos);
  pin_fails("a: [x, y]\nb: [{image: a}, {image: b}]\n", {{2, "y"}}, 2);
  CHECK(pin_fails("spec: {\n  image: nginx,\n  name: x\n}\n", {{2, "y"}}, 2)
            .find("does not give YAML back") != std::string::npos);
  pin_fails("image: ok\n", {{1, "\n"}}, 1);
  pin_fails("image: ok\n", {{1, ""}}, 1);
}

TEST_CASE("pin: a multi-document Kubernetes file changes only on the pinned lines") {
  const std::string path = kFixtures + "/k8s-workloads.yaml";
  const std::string text = slurp(path);
  auto reread = [](const std::string& t) {
    auto d = read_kubernetes(t, "k8s.yaml");
    INFO((d.ok() ? "" : d.error().message()));
    REQUIRE(d.ok());
    return *d;
  };
  SECTION("as written") { check_pins_only_image_lines(text, reread(text), reread); }
  SECTION("with CRLF line endings") {
    check_pins_only_image_lines(crlf(text), reread(crlf(text)), reread);
  }
  SECTION("inline, with comments, flow items and quotes") {
    const std::string inline_text =
        "# Deployment and a Job\n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: web   # the front end\n"
        "spec:\n"
        "  template:\n"
        "    spec:\n"
        "      initContainers:\n"
        "        - {name: init, image: 'busybox:1.36'}\n"
        "      containers:\n"
        "        - name: web\n"
        "          image: \"localhost:5000/web:v1\" # pinned by admit\n"
        "          args: [\"--image: not-a-key\"]\n"
        "\n"
        "        - image: localhost:5000/sidecar:v2\n"
        "          name: sidecar\n"
        "---\n"
        "apiVersion: batch/v1\n"
        "kind: Job\n"
        "metadata: {name: migrate}\n"
        "spec:\n"
        "  template:\n"
        "    spec:\n"
        "      containers:\n"
        "      - name: migrate\n"
        "        image: localhost:5000/migrate@sha256:" +
        std::string(64, 'a') +
        "\n"
        "        command: [\"sh\", \"-c\", \"echo image: x\"]";
    check_pins_only_image_lines(inline_text, reread(inline_text), reread);
  }
}

TEST_CASE("pin: a compose file with comments and anchors changes only on the pinned lines") {
  auto reread = [](const std::string& t) {
    auto d = read_compose(t, "compose.yml", no_env());
    INFO((d.ok() ? "" : d.error().message()));
    REQUIRE(d.ok());
    return *d;
  };
  SECTION("interpolation and merge keys") {
    const std::string text = slurp(kFixtures + "/compose-interpolation.yml");
    check_pins_only_image_lines(text, reread(text), reread);
  }
  SECTION("inline, with comments, anchors and CRLF") {
    const std::string text =
        "# The stack.\n"
        "x-common: &common\n"
        "  read_only: true   # always\n"
        "  cap_drop: [ALL]\n"
        "\n"
        "services:\n"
        "  web:\n"
        "    <<: *common\n"
        "    # the public image\n"
        "    image: ${REGISTRY:-localhost:5000}/web:v1  # interpolated\n"
        "    ports:\n"
        "      - \"8080:8080\"\n"
        "  db:\n"
        "    image: 'postgres:16'\n"
        "    environment: {PGDATA: /var/lib/postgresql/data, NOTE: \"image: no\"}\n"
        "  cache: {image: \"redis:7\", read_only: true}\n"
        "  worker:\n"
        "    <<: *common\n"
        "    image: localhost:5000/worker:v3\n"
        "    command: [\"run\", \"--image\", \"image: x\"]\n";
    check_pins_only_image_lines(text, reread(text), reread);
    check_pins_only_image_lines(crlf(text), reread(crlf(text)), reread);
  }
}
