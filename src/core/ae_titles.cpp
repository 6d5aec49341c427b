// SPDX-License-Identifier: Apache-2.0
#include <pacscan/core/ae_titles.hpp>

#include <set>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include <pacscan/core/assoc.hpp>

namespace pacscan {

const char* to_string(AeSource s) {
  switch (s) {
    case AeSource::none: return "none";
    case AeSource::random: return "random";
    case AeSource::hint: return "hint";
    case AeSource::well_known: return "well_known";
    case AeSource::scanner: return "scanner";
    case AeSource::web: return "web";
    case AeSource::learned: return "learned";
    case AeSource::site: return "site";
    case AeSource::reverse_dns: return "reverse_dns";
    case AeSource::wordlist: return "wordlist";
  }
  return "none";
}

bool guessable(AeSource s) {
  return s == AeSource::random || s == AeSource::well_known || s == AeSource::wordlist ||
         s == AeSource::reverse_dns;
}

const char* to_string(AeRole r) { return r == AeRole::called ? "called" : "calling"; }

const char* likelihood_text(int likelihood) {
  return likelihood <= 0 ? "high" : likelihood == 1 ? "medium" : "low";
}

bool valid_ae_title(std::string_view title) {
  if (title.empty() || title.size() > 16) return false;
  bool only_spaces = true;
  for (char ch : title) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e || c == '\\') return false;
    if (c != ' ') only_spaces = false;
  }
  return !only_spaces;
}

namespace {

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == sep) {
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(std::move(cur));
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && s[b] == ' ') ++b;
  return s.substr(b);
}

}  // namespace

Expected<std::vector<AeTitleEntry>> parse_ae_titles(std::string_view text,
                                                    const std::string& origin) {
  std::vector<AeTitleEntry> out;
  std::set<std::pair<std::string, AeRole>> seen;
  std::istringstream in{std::string(text)};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto cols = split(line, '\t');
    if (cols.size() < 6) {
      return error(fmt::format("{}:{}: expected 6 tab-separated columns (TITLE ROLE LIKELIHOOD "
                               "FAMILY PRODUCT SOURCE), got {}",
                               origin, n, cols.size()));
    }
    AeTitleEntry e;
    e.title = cols[0];  // exactly as shipped: no trimming inside a title
    if (!valid_ae_title(e.title)) {
      return error(fmt::format("{}:{}: \"{}\" is not an AE title (1-16 printable characters, no "
                               "backslash)",
                               origin, n, e.title));
    }
    const std::string role = trim(cols[1]);
    if (role == "called") e.role = AeRole::called;
    else if (role == "calling") e.role = AeRole::calling;
    else return error(fmt::format("{}:{}: role \"{}\" is not called or calling", origin, n, role));
    const std::string lik = trim(cols[2]);
    if (lik == "high") e.likelihood = 0;
    else if (lik == "medium") e.likelihood = 1;
    else if (lik == "low") e.likelihood = 2;
    else return error(fmt::format("{}:{}: likelihood \"{}\" is not high, medium or low", origin, n,
                                  lik));
    for (auto& f : split(cols[3], ',')) {
      f = trim(f);
      if (!f.empty()) e.families.push_back(f);
    }
    e.product = trim(cols[4]);
    e.source = trim(cols[5]);
    if (e.source.empty()) {
      return error(fmt::format("{}:{}: \"{}\" has no source: every default says where it was read",
                               origin, n, e.title));
    }
    if (!seen.insert({e.title, e.role}).second) continue;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace pacscan
