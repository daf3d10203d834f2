// Fuzzes the webhook destination policy without the network: the
// --webhook-allow entries (one per line before a NUL byte) and the address
// check of what follows. Any input gives a policy or an error; an address
// the default policy allows must not be loopback or link-local.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_split.h"
#include "http/outbound_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  std::string_view entries = input.substr(0, nul);
  std::string_view address = nul == std::string_view::npos ? "" : input.substr(nul + 1);
  std::vector<std::string> allow = absl::StrSplit(
      absl::string_view(entries.data(), entries.size()), '\n');
  absl::StatusOr<inferd::OutboundPolicy> policy = inferd::OutboundPolicy::Create(allow);
  if (policy.ok()) (void)policy->Refusal(address, "host.example");
  const inferd::OutboundPolicy closed;
  const std::string why = closed.Refusal(address);
  if (why.empty() && (address.rfind("127.", 0) == 0 || address == "::1" ||
                      address.rfind("169.254.", 0) == 0)) {
    std::abort();
  }
  return 0;
}
