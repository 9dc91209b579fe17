// Forge webhooks (src/forge) over the in-memory store: bodies in the shapes
// GitLab, GitHub and Gitea document (tests/fixtures/webhooks), good and bad
// tokens and signatures, replays, oversized and malformed bodies. The right
// issues close; every bad request gets 401/400/413/404 and changes nothing.
#include <fstream>
#include <sstream>

#include "../desk/fixture.h"
#include "forge/verify.h"
#include "forge/webhook.h"

using desk_test::Fixture;
using desk_test::Strings;
using store::MailKind;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(WEBHOOK_DIR) + "/" + name, std::ios::binary);
  REQUIRE(in);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* const kSecret = "s3cret-token-for-tests";

struct Hooks : Fixture {
  Hooks() {
    deliver(game, mail("alice@example.org", "1@x"));  // #1
    deliver(game, mail("bob@example.org", "2@x"));    // #2
    deliver(game, mail("carol@example.org", "3@x"));  // #3
    for (auto [forge, repo] : {std::pair{"gitlab", "https://gitlab.example.com/acme/game"},
                               std::pair{"github", "https://github.com/Acme/game"},
                               std::pair{"gitea", "https://gitea.example.com/acme/game"}}) {
      store::HookBinding b;
      b.forge = forge;
      b.repo = repo;
      b.secret = kSecret;
      desk.add_hook("acme/game", b);
    }
  }
  forge::Response post(const std::string& forge, std::map<std::string, std::string> headers,
                       const std::string& body) {
    return forge::handle(desk, {forge, std::move(headers), body}, limits);
  }
  forge::Response gitlab(const std::string& event, const std::string& body,
                         const std::string& token = kSecret, const std::string& uuid = "") {
    return post(
        "gitlab",
        {{"x-gitlab-event", event}, {"x-gitlab-token", token}, {"x-gitlab-event-uuid", uuid}},
        body);
  }
  forge::Response github(const std::string& event, const std::string& body,
                         const std::string& signature = "", const std::string& delivery = "") {
    std::string sig =
        signature.empty() ? "sha256=" + forge::hmac_sha256_hex(kSecret, body) : signature;
    return post(
        "github",
        {{"x-github-event", event}, {"x-hub-signature-256", sig}, {"x-github-delivery", delivery}},
        body);
  }
  // Everything a request could change.
  std::vector<std::string> snapshot() {
    auto& s = st.state();
    std::vector<std::string> v{std::to_string(s.notes.size()), std::to_string(s.outbox.size()),
                               std::to_string(s.fix_commits.size()),
                               std::to_string(s.deliveries.size())};
    for (const auto& i : s.issues) v.push_back(i.state);
    return v;
  }
  std::string state(int iid) { return issue(iid).state; }
  forge::Limits limits;
};

}  // namespace

TEST_CASE("forge: HMAC-SHA256 and tokens (RFC 4231 test case 2), in constant time") {
  CHECK(forge::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  std::string good = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  CHECK(forge::signature_matches(good, "sha256=", "Jefe", "what do ya want for nothing?"));
  std::string upper = "sha256=5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843";
  CHECK(forge::signature_matches(upper, "sha256=", "Jefe", "what do ya want for nothing?"));
  CHECK_FALSE(forge::signature_matches(good, "sha256=", "Jefe", "what do ya want for nothing!"));
  CHECK_FALSE(forge::signature_matches(good, "sha256=", "jefe", "what do ya want for nothing?"));
  CHECK_FALSE(
      forge::signature_matches(good.substr(7), "sha256=", "Jefe", "what do ya want for nothing?"));
  CHECK_FALSE(
      forge::signature_matches(good + "0", "sha256=", "Jefe", "what do ya want for nothing?"));
  CHECK_FALSE(forge::signature_matches("sha256=" + std::string(64, 'z'), "sha256=", "Jefe", ""));
  CHECK_FALSE(forge::signature_matches(good, "sha256=", "", "what do ya want for nothing?"));
  CHECK(forge::token_matches("abc", "abc"));
  CHECK_FALSE(forge::token_matches("abd", "abc"));
  CHECK_FALSE(forge::token_matches("abcd", "abc"));
  CHECK_FALSE(forge::token_matches("", ""));
}

TEST_CASE("forge: GitLab push closes and mentions; a replay and the same commits act once") {
  Hooks f;
  std::string body = fixture("gitlab-push.json");
  auto r = f.gitlab("Push Hook", body, kSecret, "uuid-1");
  CHECK(r.status == 200);
  CHECK(r.text == "1 closed, 2 noted, 0 seen before, 0 unknown, 1 mails");
  CHECK(f.state(1) == "closed");
  CHECK(f.state(2) == "opened");
  CHECK(f.outbox(MailKind::closed) == Strings{"alice@example.org"});
  const auto& note = f.st.state().notes.back().row;
  CHECK(note.internal);
  CHECK(note.author_kind == "support_bot");
  CHECK(note.body.find("https://gitlab.example.com/acme/game/-/commit/da1560886d4f") !=
        std::string::npos);

  auto before = f.snapshot();
  auto replay = f.gitlab("Push Hook", body, kSecret, "uuid-1");
  CHECK(replay.status == 200);
  CHECK(replay.text == "already seen: delivery uuid-1");
  CHECK(f.snapshot() == before);
  // A new delivery of the same commits (a re-sent hook): nothing twice.
  auto again = f.gitlab("Push Hook", body, kSecret, "uuid-2");
  CHECK(again.text == "0 closed, 0 noted, 2 seen before, 0 unknown, 0 mails");
  CHECK(f.outbox(MailKind::closed).size() == 1);
}

TEST_CASE("forge: GitLab merge request merged closes; other actions and branches are ignored") {
  Hooks f;
  std::string body = fixture("gitlab-merge.json");
  auto open = body;
  open.replace(open.find("\"action\": \"merge\""), 17, "\"action\": \"open\" ");
  CHECK(f.gitlab("Merge Request Hook", open).text == "ignored: Merge Request Hook");
  CHECK(f.state(3) == "opened");
  auto other = body;
  other.replace(other.find("\"target_branch\": \"main\""), 23, "\"target_branch\": \"dev\" ");
  CHECK(f.gitlab("Merge Request Hook", other).text == "ignored: branch dev");
  CHECK(f.state(3) == "opened");
  auto r = f.gitlab("Merge Request Hook", body);
  CHECK(r.status == 200);
  CHECK(f.state(3) == "closed");
  CHECK(f.outbox(MailKind::closed) == Strings{"carol@example.org"});
  CHECK(f.st.state().notes.back().row.body.rfind(
            "Closed by commit 0e9fd5d1a8b5 \"Fix the crash on start\" by Administrator", 0) == 0);
}

TEST_CASE("forge: GitLab tokens: wrong, missing, another repository's; nothing changes") {
  Hooks f;
  std::string body = fixture("gitlab-push.json");
  auto before = f.snapshot();
  CHECK(f.gitlab("Push Hook", body, "wrong").status == 401);
  CHECK(f.gitlab("Push Hook", body, std::string(kSecret) + "x").status == 401);
  CHECK(f.post("gitlab", {{"x-gitlab-event", "Push Hook"}}, body).status == 401);
  auto elsewhere = body;
  elsewhere.replace(elsewhere.find("\"web_url\": \"https://gitlab.example.com/acme/game\""), 49,
                    "\"web_url\": \"https://gitlab.example.com/acme/gamf\"");
  CHECK(f.gitlab("Push Hook", elsewhere).status == 401);
  CHECK(f.post("gitlab", {{"x-gitlab-token", kSecret}}, body).status == 400);  // no event
  CHECK(f.snapshot() == before);
}

TEST_CASE("forge: GitHub push and pull_request with X-Hub-Signature-256") {
  Hooks f;
  std::string push = fixture("github-push.json");
  auto before = f.snapshot();
  // Bad signatures: another secret, another body, no prefix, garbage.
  CHECK(f.github("push", push, "sha256=" + forge::hmac_sha256_hex("other", push)).status == 401);
  CHECK(f.github("push", push, "sha256=" + forge::hmac_sha256_hex(kSecret, push + " ")).status ==
        401);
  CHECK(f.github("push", push, forge::hmac_sha256_hex(kSecret, push)).status == 401);
  CHECK(f.github("push", push, "sha256=nothex").status == 401);
  CHECK(f.snapshot() == before);
  CHECK(
      f.github(
           "ping",
           R"({"zen":"Keep it simple.","hook_id":1,"repository":{"html_url":"https://github.com/Acme/game"}})")
          .text == "ignored: ping");

  auto r = f.github("push", push, "", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
  CHECK(r.status == 200);
  CHECK(f.state(1) == "closed");
  CHECK(f.state(2) == "closed");
  CHECK(f.outbox(MailKind::closed) == Strings{"alice@example.org", "bob@example.org"});

  // The pull request whose body resolves #2, merged: #2 is closed already,
  // so a note and no second mail. Not merged: ignored.
  std::string pull = fixture("github-pull.json");
  auto unmerged = pull;
  unmerged.replace(unmerged.find("\"merged\": true"), 14, "\"merged\": false");
  CHECK(f.github("pull_request", unmerged).text == "ignored: pull_request");
  auto m = f.github("pull_request", pull);
  CHECK(m.text == "0 closed, 1 noted, 0 seen before, 0 unknown, 0 mails");
  CHECK(f.outbox(MailKind::closed).size() == 2);
}

TEST_CASE("forge: Gitea and Forgejo push with X-Gitea-Signature") {
  Hooks f;
  std::string body = fixture("gitea-push.json");
  std::string sig = forge::hmac_sha256_hex(kSecret, body);
  CHECK(f.post("gitea", {{"x-gitea-event", "push"}, {"x-gitea-signature", "sha256=" + sig}}, body)
            .status == 401);  // Gitea's signature has no prefix
  CHECK(f.state(1) == "opened");
  auto r = f.post(
      "forgejo",
      {{"x-forgejo-event", "push"}, {"x-forgejo-signature", sig}, {"x-forgejo-delivery", "d-1"}},
      body);
  CHECK(r.status == 200);
  CHECK(f.state(1) == "closed");
  CHECK(f.post("gitea",
               {{"x-gitea-event", "push"}, {"x-gitea-signature", sig}, {"x-gitea-delivery", "d-1"}},
               body)
            .text == "already seen: delivery d-1");
}

TEST_CASE("forge: oversized, malformed and hostile bodies get 413 or 400 and change nothing") {
  Hooks f;
  auto before = f.snapshot();
  f.limits.body = 4096;
  std::string big = fixture("gitlab-push.json");
  big.insert(big.size() - 2, ",\"pad\":\"" + std::string(5000, 'x') + "\"");
  CHECK(f.gitlab("Push Hook", big).status == 413);
  f.limits.body = 5242880;
  auto bad = [&](const std::string& body) {
    std::string head = body.substr(0, 80);
    CAPTURE(head);
    CHECK(f.gitlab("Push Hook", body).status == 400);
    CHECK(f.github("push", body).status == 400);
  };
  bad("");
  bad("not json");
  bad("[1,2,3]");
  bad(R"({"ref":"refs/heads/main","project":{"web_url":"https://gitlab.example.com/acme/game"},)");
  bad(std::string(100000, '['));
  bad(R"({"ref":"refs/heads/main","project":{"web_url":"https://gitlab.example.com/acme/game"},)"
      R"("repository":{"html_url":"https://github.com/Acme/game"},"commits":"none"})");
  bad(R"({"ref":"refs/heads/main","project":{"web_url":"https://gitlab.example.com/acme/game"},)"
      R"("repository":{"html_url":"https://github.com/Acme/game"},"commits":[{"message":"Fixes desk#1"}]})");
  bad(R"({"ref":"refs/heads/main","commits":[]})");  // no repository
  CHECK(f.post("bitbucket", {{"x-event-key", "repo:push"}}, "{}").status == 404);
  CHECK(f.snapshot() == before);
}
