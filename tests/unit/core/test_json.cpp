// SPDX-License-Identifier: Apache-2.0
// JSON round trip of observations and scan results: what scan.json and observations.jsonl hold
// must come back identical (pacscan report re-renders from them).
#include <doctest/doctest.h>

#include <pacscan/core/scan_result.hpp>

using namespace pacscan;

TEST_CASE("observation JSON round trip keeps the typed data") {
  Observation o;
  o.probe = "dicom_ae_policy";
  o.ep = Endpoint{*Ipv4::parse("127.0.0.1"), 11112};
  o.outcome = Outcome::ok;
  o.at = "2026-11-29T08:00:00.000Z";
  o.elapsed_ms = 42;
  o.summary = "s";
  AePolicyData d;
  d.any_called = Tri::no;
  d.working_called_ae = "QRSCP";
  d.working_called_source = AeSource::hint;
  AssocAttempt a;
  a.outcome = Outcome::rejected;
  a.reject = RejectInfo{1, 1, 7, "x"};
  d.attempts.push_back(a);
  o.data = d;
  const nlohmann::json j = o;
  CHECK(j["data"]["attempts"][0]["reject"]["reason"] == 7);
  CHECK(j["data"]["any_called"] == "no");
  const auto back = j.get<Observation>();
  REQUIRE(data_as<AePolicyData>(back));
  CHECK(data_as<AePolicyData>(back)->working_called_ae == "QRSCP");
  CHECK(data_as<AePolicyData>(back)->attempts[0].reject->reason == 7);
  CHECK(nlohmann::json(back) == j);
}

TEST_CASE("scan result JSON round trip") {
  ScanResult r;
  r.meta.pacscan_version = "0.1.0";
  r.meta.targets = {"127.0.0.1"};
  Finding f;
  f.id = finding_id("DICOM-AE-ANY-CALLED", "127.0.0.1:104", "");
  f.rule_id = "DICOM-AE-ANY-CALLED";
  f.severity = Severity::low;
  f.evidence = {"a", "b"};
  r.findings.push_back(f);
  r.checks.push_back(Check{"DICOM-AE-ANY-CALLED", "127.0.0.1:104", Verdict::not_evaluated, "why"});
  const nlohmann::json j = r;
  CHECK(j["meta"]["schema_version"] == k_schema_version);
  CHECK(j["checks"][0]["verdict"] == "not_evaluated");
  const auto back = j.get<ScanResult>();
  CHECK(back.findings.at(0).id == f.id);
  CHECK(back.checks.at(0).verdict == Verdict::not_evaluated);
  CHECK(nlohmann::json(back) == j);
}

TEST_CASE("unknown probes and missing fields load without throwing") {
  const auto j = nlohmann::json::parse(
      R"({"probe":"future_probe","ip":"127.0.0.1","port":1,"data":{"x":1}})");
  const auto o = j.get<Observation>();
  CHECK(std::holds_alternative<std::monostate>(o.data));
  CHECK(o.outcome == Outcome::error);
}

TEST_CASE("intrusive probes' data round trips by probe name") {
  Observation st;
  st.probe = "dicom_store_test";
  st.ep = Endpoint{*Ipv4::parse("127.0.0.1"), 104};
  StoreTestData sd;
  sd.object.sop_instance_uid = "2.25.1";
  sd.outcome = DimseOutcome::stored;
  st.data = sd;
  Observation mv = st;
  mv.probe = "dicom_move_self";
  MoveSelfData md;
  md.received.push_back({"127.0.0.1:5000", "QRSCP", "PACSCAN", 1, 1});
  mv.data = md;
  Observation dq = st;
  dq.probe = "dicom_data_query";
  DataQueryData dd;
  dd.results.push_back({"StudyRootFind", "STUDY", "A", "B", DimseOutcome::success, 0, "success", 3, true, "", 1});
  dq.data = dd;
  for (const auto& o : {st, mv, dq}) {
    const nlohmann::json j = o;
    const auto back = j.get<Observation>();
    CHECK(nlohmann::json(back) == j);
  }
  CHECK(data_as<StoreTestData>(nlohmann::json(st).get<Observation>())->object.sop_instance_uid ==
        "2.25.1");
  CHECK(data_as<MoveSelfData>(nlohmann::json(mv).get<Observation>())->received[0].ours == 1);
  CHECK(data_as<DataQueryData>(nlohmann::json(dq).get<Observation>())->results[0].count == 3);
}

TEST_CASE("DIMSE outcomes keep the words of earlier observations; an unknown word is an error") {
  const std::pair<DimseOutcome, const char*> words[] = {
      {DimseOutcome::success, "success"},     {DimseOutcome::stored, "stored"},
      {DimseOutcome::refused, "refused"},     {DimseOutcome::aborted, "aborted"},
      {DimseOutcome::timed_out, "timed_out"}, {DimseOutcome::interrupted, "interrupted"},
      {DimseOutcome::not_sent, "not_sent"},   {DimseOutcome::error, "error"}};
  for (const auto& [o, w] : words) {
    CHECK(nlohmann::json(o) == w);
    CHECK(nlohmann::json(w).get<DimseOutcome>() == o);
    CHECK(std::string(to_string(o)) == w);
  }
  // A word from a newer or tampered scan.json never reads as a success.
  CHECK(nlohmann::json("sucess").get<DimseOutcome>() == DimseOutcome::error);
  CHECK(nlohmann::json("").get<DimseOutcome>() == DimseOutcome::error);
  NullQueryResult r;
  nlohmann::json j = r;
  j["outcome"] = "refused";
  CHECK(j.get<NullQueryResult>().outcome == DimseOutcome::refused);
  CHECK(nlohmann::json(j.get<NullQueryResult>()) == j);
}
