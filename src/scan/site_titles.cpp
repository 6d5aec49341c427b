// SPDX-License-Identifier: Apache-2.0
#include <pacscan/scan/site_titles.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <future>
#include <memory>
#include <thread>

namespace pacscan {

bool SiteAeTitles::add(SiteAeTitle entry) {
  std::lock_guard lock(m_mu);
  if (m_entries.size() >= k_max_entries) return false;
  for (const auto& e : m_entries) {
    if (e.title == entry.title && e.role == entry.role && e.partner == entry.partner) return false;
  }
  m_entries.push_back(std::move(entry));
  return true;
}

std::vector<SiteAeTitle> SiteAeTitles::snapshot() const {
  std::lock_guard lock(m_mu);
  return m_entries;
}

std::string SiteAeTitles::reverse_name(Ipv4 ip, const Resolver& resolve) {
  {
    std::unique_lock lock(m_mu);
    auto [it, inserted] = m_names.try_emplace(ip.value);
    if (!inserted) {
      // Another endpoint of this host asked first: wait for its answer (the resolver is bounded).
      m_names_cv.wait(lock, [&] { return m_names[ip.value].done; });
      return m_names[ip.value].name;
    }
  }
  std::string name = resolve ? resolve(ip) : std::string{};
  {
    std::lock_guard lock(m_mu);
    m_names[ip.value] = Name{true, name};
  }
  m_names_cv.notify_all();
  return name;
}

std::string resolve_reverse_name(Ipv4 ip, std::chrono::milliseconds timeout) {
  // getnameinfo has no timeout of its own: it runs on a thread of its own, and a slow resolver
  // is given up on (the thread ends when the resolver does; it holds only its own copies).
  auto result = std::make_shared<std::promise<std::string>>();
  auto answer = result->get_future();
  std::thread([result, ip] {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(ip.value);
    char host[NI_MAXHOST] = {};
    const int rc = ::getnameinfo(reinterpret_cast<const sockaddr*>(&sa), sizeof sa, host,
                                 sizeof host, nullptr, 0, NI_NAMEREQD);
    result->set_value(rc == 0 ? std::string(host) : std::string{});
  }).detach();
  if (answer.wait_for(timeout) != std::future_status::ready) return {};
  return answer.get();
}

}  // namespace pacscan
