// SPDX-License-Identifier: Apache-2.0
// The probe registry is derived from probes/*.cpp (PACSCAN_PROBE) and the data types from
// include/pacscan/core/data/*.hpp (ProbeDataTraits): these checks keep the two in step.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include <pacscan/scan/probe.hpp>

using namespace pacscan;

TEST_CASE("every probe records a declared data type under its own name, in a unique order") {
  std::set<int> orders;
  std::set<std::string_view> names;
  REQUIRE(!all_probes().empty());
  for (const ProbeSpec* p : all_probes()) {
    CHECK_MESSAGE(known_data_name(p->name), p->name, " has no ProbeDataTraits under that name");
    CHECK_MESSAGE(orders.insert(p->order).second, p->name, " shares its order ", p->order);
    CHECK_MESSAGE(names.insert(p->name).second, p->name);
    CHECK_MESSAGE(static_cast<bool>(p->run), p->name);
    CHECK(find_probe(p->name) == p);
  }
  CHECK(all_probes().size() == registered_probes().size());
}

TEST_CASE("the chain runs in order: associate first, intrusive probes after the safe ones") {
  const auto probes = all_probes();
  CHECK(probes.front()->name == "dicom_associate");
  bool intrusive_seen = false;
  for (const ProbeSpec* p : probes) {
    if (p->level == ProbeLevel::intrusive) intrusive_seen = true;
    else CHECK_MESSAGE(!intrusive_seen, p->name, " (safe) runs after an intrusive probe");
  }
}

TEST_CASE("needs decide where a probe applies") {
  ProbeSpec p;
  ServiceFacts f;
  f.port_open = true;
  p.needs = Needs::open_port;
  CHECK(applies(p, f));
  p.needs = Needs::dicom_port;
  CHECK_FALSE(applies(p, f));
  f.speaks_dicom = true;
  CHECK(applies(p, f));
  p.needs = Needs::non_dicom_port;
  CHECK_FALSE(applies(p, f));
  p.needs = Needs::accepted_ae_pair;
  CHECK_FALSE(applies(p, f));
  CHECK(precondition(p) == "a called/calling AE title pair the server accepts");
  f.working_called_ae = "ANY";
  f.calling_ae = "PACSCAN";
  CHECK(applies(p, f));
  p.also = [](const ServiceFacts&) { return false; };
  CHECK_FALSE(applies(p, f));
  ScanPolicy pol;
  pol.max_ae_attempts = 7;
  p.max_associations = 2;
  CHECK(max_associations(p, pol) == 2);
  p.guesses_ae_titles = true;
  CHECK(max_associations(p, pol) == 7);
}
