#include <pacscan/cli/options.hpp>

#include <cctype>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <pacscan/core/embedded.hpp>

namespace pacscan::cli {

Expected<Millis> parse_duration(const std::string& text, const std::string& option) {
  std::size_t pos = 0;
  double value = 0;
  try {
    value = std::stod(text, &pos);
  } catch (...) {
    return error(fmt::format("{}: \"{}\" is not a duration (e.g. 3s, 500ms, 2m)", option, text));
  }
  const std::string unit = text.substr(pos);
  double ms = 0;
  if (unit.empty() || unit == "s") ms = value * 1000;
  else if (unit == "ms") ms = value;
  else if (unit == "m") ms = value * 60000;
  else return error(fmt::format("{}: unknown unit in \"{}\" (use ms, s or m)", option, text));
  if (!(ms > 0) || ms > 24.0 * 3600 * 1000) {
    return error(fmt::format("{}: \"{}\" must be more than 0 and at most 24h", option, text));
  }
  return Millis(static_cast<long long>(ms));
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

Expected<std::vector<std::string>> parse_ae_list(std::string_view text, const std::string& origin) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (auto h = line.find('#'); h != std::string::npos) line.erase(h);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    std::size_t b = 0;
    while (b < line.size() && std::isspace(static_cast<unsigned char>(line[b]))) ++b;
    line.erase(0, b);
    if (line.empty()) continue;
    if (line.size() > 16) return error(fmt::format("{}:{}: AE title \"{}\" is longer than 16 characters", origin, n, line));
    for (unsigned char c : line) {
      if (c < 0x20 || c == '\\' || c > 0x7e) {
        return error(fmt::format("{}:{}: AE title \"{}\" has a forbidden character", origin, n, line));
      }
    }
    out.push_back(line);
  }
  return out;
}

Expected<std::vector<std::string>> load_ae_list(const std::string& file, std::string_view embedded_name) {
  if (file.empty()) {
    // The installed copy (a site may edit it) when there is one, else the built-in list.
    const DataFile data = data_file(embedded_name);
    return parse_ae_list(data.text, data.origin == "built in" ? std::string(embedded_name)
                                                              : data.origin);
  }
  std::ifstream in(file);
  if (!in) return error(fmt::format("cannot read AE title list {}", file));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_ae_list(ss.str(), file);
}

Expected<void> validate_ae(const std::string& ae, const std::string& option) {
  auto r = parse_ae_list(ae, option);
  if (!r) return error(r.error());
  if (r->size() != 1 || (*r)[0] != ae) return error(fmt::format("{}: invalid AE title \"{}\"", option, ae));
  return {};
}

Expected<void> check_ca_bundle(const std::string& file) {
  std::ifstream probe(file);
  if (!probe) return error(fmt::format("--tls-ca: cannot read {}", file));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(file.c_str(), "r"), &BIO_free);
  int n = 0;
  while (bio) {
    X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (!x) break;
    X509_free(x);
    ++n;
  }
  ERR_clear_error();
  if (n == 0) {
    return error(fmt::format("--tls-ca: no PEM certificate (-----BEGIN CERTIFICATE-----) in {}",
                             file));
  }
  return {};
}

std::string default_out_dir() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "pacscan-%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace pacscan::cli
