#pragma once

// Hides the secrets a URL may carry before it is shown: in job documents,
// error messages and logs. The URL itself (kept for use, e.g. webhook
// delivery) is never changed; only what is displayed.
//
//   http://user:secret@host/p?token=abc&x=1  ->  http://user:***@host/p?token=***&x=1
//   http://TOKEN@host/                       ->  http://***@host/
//
// Hidden: the password of the userinfo, or all of a userinfo without one
// (a bare token); the values of query parameters whose names say they hold
// a secret (token, secret, password, key, signature, auth, ...; see the .cc).
// Anything that does not parse as a URL is returned with the same rules
// applied where they can be.
//
// Written by hand rather than with Boost.URL because it must also redact
// strings that are not valid URLs (a rejected webhook echoed in an error)
// and common/ stays free of Boost.
//
// Stateless; thread-safe.

#include <string>
#include <string_view>

namespace inferd {

std::string RedactUrl(std::string_view url);

// `text` with every occurrence of `url` replaced by RedactUrl(url): for
// messages written before redaction existed, or by code that named the URL.
std::string RedactUrlIn(std::string_view text, std::string_view url);

}  // namespace inferd
