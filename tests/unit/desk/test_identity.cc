// test_identity.cc: who the site vouches for (desk/identity.h): the
// Authentication-Results fields as OpenDKIM, OpenDMARC and Rspamd write
// them, and every forged variant of issue 18.
#include <doctest/doctest.h>

#include "desk/identity.h"

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

const char* kOurs = "mx.support.example";
const char* kReceived =
    "from mail.company.example (mail.company.example [192.0.2.7]) by mx.support.example "
    "(Postfix) with ESMTPS id 4Qx1 for <desk+reply-0123@support.example>";
const char* kOpenDkim =
    "mx.support.example; dkim=pass (2048-bit key; unprotected) header.d=company.example "
    "header.i=@company.example header.a=rsa-sha256 header.s=mail header.b=\"Ab3/x+Yz\"";
const char* kOpenDmarc =
    "mx.support.example; dmarc=pass (p=reject dis=none) header.from=company.example";
const char* kRspamd =
    "mx.support.example; dkim=pass header.d=company.example header.s=dkim header.b=Zm9v; "
    "spf=pass (mx.support.example: domain of agent@company.example designates 192.0.2.7 "
    "as permitted sender) smtp.mailfrom=agent@company.example; dmarc=pass (policy=reject) "
    "header.from=company.example";

desk::AuthPolicy policy(desk::Require r = desk::Require::dkim_aligned) {
  return {kOurs, r, 1};
}

bool proven(const Headers& h, const char* from = "agent@company.example",
            desk::Require r = desk::Require::dkim_aligned) {
  return desk::verify_author(h, from, policy(r)).proven;
}

}  // namespace

TEST_CASE("identity: parse_auth_results reads RFC 8601 fields as milters write them") {
  auto ar = desk::parse_auth_results(kRspamd);
  CHECK(ar.authserv_id == "mx.support.example");
  REQUIRE(ar.results.size() == 3);
  CHECK(ar.results[0].method == "dkim");
  CHECK(ar.results[0].result == "pass");
  CHECK(ar.results[0].props.at("header.d") == "company.example");
  CHECK(ar.results[1].method == "spf");
  CHECK(ar.results[1].props.at("smtp.mailfrom") == "agent@company.example");
  CHECK(ar.results[2].props.at("header.from") == "company.example");

  auto v = desk::parse_auth_results(
      "  \"MX.Support.Example\" 1 ; DKIM = Pass (good (nested); sig) header.d=\"a;b.example\"");
  CHECK(v.authserv_id == "mx.support.example");
  REQUIRE(v.results.size() == 1);
  CHECK(v.results[0].result == "pass");
  CHECK(v.results[0].props.at("header.d") == "a;b.example");
  CHECK(desk::parse_auth_results("mx.support.example; none").results.empty());
  CHECK(desk::parse_auth_results("").authserv_id.empty());
  CHECK(desk::parse_auth_results("(((; ; =;").results.empty());
}

TEST_CASE("identity: the site's own fields above its Received prove the author") {
  CHECK(proven({{"Authentication-Results", kOpenDkim}, {"Received", kReceived}}));
  CHECK(proven({{"Authentication-Results", kOpenDmarc}, {"Received", kReceived}}));
  CHECK(proven({{"Authentication-Results", kRspamd}, {"Received", kReceived}}));
  // OpenDKIM and OpenDMARC each insert their own field.
  CHECK(proven({{"Authentication-Results", kOpenDmarc},
                {"Authentication-Results", kOpenDkim},
                {"Received", kReceived}},
               "agent@company.example", desk::Require::dmarc));
  // Relaxed alignment: a subdomain signature for the organisation's From.
  CHECK(proven(
      {{"Authentication-Results", "mx.support.example; dkim=pass header.d=mail.company.example"},
       {"Received", kReceived}}));
}

TEST_CASE("identity: forged and unaligned proofs prove nothing") {
  Headers below = {{"Received", kReceived}, {"Authentication-Results", kOpenDkim}};
  CHECK_FALSE(proven(below));                      // a sender's copy lies below our Received
  CHECK_FALSE(proven({{"Received", kReceived}}));  // no field at all
  CHECK_FALSE(proven({{"Authentication-Results", kOpenDkim}}));  // not through our MTA
  CHECK_FALSE(
      proven({{"Authentication-Results", "mx.evil.example; dkim=pass header.d=company.example"},
              {"Received", kReceived}}));  // a foreign authserv-id
  CHECK_FALSE(
      proven({{"Authentication-Results", "mx.support.example; dkim=pass header.d=evil.example"},
              {"Received", kReceived}}));  // unaligned
  CHECK_FALSE(
      proven({{"Authentication-Results", "mx.support.example; dkim=fail header.d=company.example"},
              {"Received", kReceived}}));
  CHECK_FALSE(
      proven({{"Authentication-Results", "mx.support.example; dmarc=pass header.from=evil.example"},
              {"Received", kReceived}}));
  CHECK_FALSE(proven({{"Authentication-Results", "mx.support.example; dmarc=pass"},
                      {"Received", kReceived}}));  // which domain passed is unknown
  // dkim alone is not enough when DMARC is required.
  CHECK_FALSE(proven({{"Authentication-Results", kOpenDkim}, {"Received", kReceived}},
                     "agent@company.example", desk::Require::dmarc));
  // A public suffix is no organisation: co.uk aligns with nothing.
  CHECK_FALSE(proven({{"Authentication-Results", "mx.support.example; dkim=pass header.d=co.uk"},
                      {"Received", kReceived}},
                     "agent@company.co.uk"));
  CHECK_FALSE(proven({{"Authentication-Results", kOpenDkim}, {"Received", kReceived}}, ""));
}

TEST_CASE("identity: hops counts the site's own MTAs") {
  desk::AuthPolicy two{kOurs, desk::Require::dkim_aligned, 2};
  Headers h = {{"Received", "from relay by mx2"},
               {"Authentication-Results", kOpenDkim},
               {"Received", kReceived}};
  CHECK(desk::verify_author(h, "agent@company.example", two).proven);
  CHECK_FALSE(desk::verify_author(h, "agent@company.example", policy()).proven);
  Headers beyond = {{"Received", "a"}, {"Received", "b"}, {"Authentication-Results", kOpenDkim}};
  CHECK_FALSE(desk::verify_author(beyond, "agent@company.example", two).proven);
}

TEST_CASE("identity: require none trusts the key alone") {
  CHECK(proven({}, "agent@company.example", desk::Require::none));
}

TEST_CASE("identity: aligned") {
  CHECK(desk::aligned("company.example", "COMPANY.example"));
  CHECK(desk::aligned("a.b.company.example", "company.example"));
  CHECK_FALSE(desk::aligned("company.example", "other.example"));
  CHECK_FALSE(desk::aligned("example.co.uk", "other.co.uk"));
  CHECK_FALSE(desk::aligned("", "company.example"));
}

// The header blocks as the real programs wrote them (tests/system/test_milter.py
// and the Exim run in contrib/exim/README.md): Postfix 3.7 with OpenDKIM 2.11
// and OpenDMARC 1.4.2 as smtpd milters, a sender's own dmarc=pass field with
// our authserv-id kept below Postfix's Received (neither milter removes it).
TEST_CASE("identity: the layouts the real verifiers produce") {
  const char* dkim_pass =
      "mx.support.example;\tdkim=pass (2048-bit key) header.d=company.example "
      "header.i=@company.example header.a=rsa-sha256 header.s=sel1 header.b=jE74X4Sj;\t"
      "dkim-atps=neutral";
  const char* dmarc_none =
      "mx.support.example; dmarc=none (p=none dis=none) header.from=company.example";
  const char* postfix =
      "from [127.0.0.1] (localhost [127.0.0.1])\tby mx.support.example (Postfix) with ESMTP id "
      "87EA7A76582\tfor <desk+acme-game@support.example.com>; Wed,  2 Dec 2026 09:05:40 +0000 "
      "(UTC)";
  const char* forged = "mx.support.example; dmarc=pass header.from=company.example";
  Headers real = {{"Authentication-Results", dmarc_none},
                  {"Authentication-Results", dkim_pass},
                  {"Received", postfix},
                  {"Authentication-Results", forged},
                  {"DKIM-Signature", "v=1; a=rsa-sha256; d=company.example; s=sel1"},
                  {"From", "Agent <agent@company.example>"}};
  CHECK(proven(real));
  // dmarc required: OpenDMARC said none (no DMARC record), the forged pass is below.
  auto v = desk::verify_author(real, "agent@company.example", policy(desk::Require::dmarc));
  CHECK_FALSE(v.proven);
  CHECK(v.why == "no passing result for company.example from mx.support.example");

  // Unsigned with a forged field: OpenDKIM's dkim=none above, the forgery below.
  Headers unsigned_forged = {{"Authentication-Results", "mx.support.example; dkim=none"},
                             {"Received", postfix},
                             {"Authentication-Results", forged}};
  CHECK_FALSE(proven(unsigned_forged));

  // Exim 4.96: `add_header = :at_start:${authresults {mx.support.example}}` lands
  // above Exim's Received; without :at_start: at the end of the header, ignored.
  const char* exim =
      "from [192.0.2.7]\tby mx.support.example with esmtp (Exim 4.96)\t"
      "(envelope-from <agent@company.example>)\tid 1xYgIV-0002JA-1q";
  const char* exim_ar =
      "mx.support.example;\tiprev=pass smtp.remote-ip=192.0.2.7;\tdkim=pass "
      "header.d=company.example header.i=@company.example header.s=sel1 header.a=rsa-sha256";
  CHECK(proven(
      {{"Authentication-Results", exim_ar}, {"Received", exim}, {"From", "a@company.example"}}));
  auto appended = desk::verify_author(
      {{"Received", exim}, {"From", "a@company.example"}, {"Authentication-Results", exim_ar}},
      "agent@company.example", policy());
  CHECK_FALSE(appended.proven);
  CHECK(appended.why.find("only below the site's Received") != std::string::npos);
  CHECK(desk::verify_author({{"Received", exim}}, "agent@company.example", policy()).why ==
        "no Authentication-Results from mx.support.example");
}

TEST_CASE("identity: a content filter's second pass through Postfix needs hops 2") {
  // smtpd with the milters, then amavis, then the re-injecting smtpd: the
  // milters' field lies between the two Received fields.
  Headers h = {
      {"Received", "from localhost (localhost [127.0.0.1]) by mx.support.example (Postfix)"},
      {"Authentication-Results", kOpenDkim},
      {"Received", kReceived},
      {"Authentication-Results", kOpenDmarc}};  // the sender's, below both
  CHECK_FALSE(proven(h));
  CHECK(desk::verify_author(h, "agent@company.example", {kOurs, desk::Require::dkim_aligned, 2})
            .proven);
  CHECK_FALSE(
      desk::verify_author(h, "agent@company.example", {kOurs, desk::Require::dmarc, 2}).proven);
}
