#include "store/s3/Credentials.hpp"

#include "util/ZarrError.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>

namespace zarr::s3 {
namespace {

std::string
env(const char* name)
{
    const char* value = std::getenv(name);
    return value ? value : "";
}

std::string
trim(const std::string& text)
{
    const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
    auto begin = std::find_if_not(text.begin(), text.end(), space);
    auto end = std::find_if_not(text.rbegin(), text.rend(), space).base();
    return begin < end ? std::string(begin, end) : std::string();
}

std::string
lowercase(std::string text)
{
    for (char& c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}

// The `key = value` lines of one profile, keys lowercased; nothing if the
// profile is not in the file.
std::optional<std::map<std::string, std::string>>
read_profile(std::istream& in, const std::string& profile)
{
    std::map<std::string, std::string> values;
    bool found = false;
    bool inside = false;
    std::string line;
    while (std::getline(in, line)) {
        line = trim(line);
        if (line.empty() || line[0] == '#' || line[0] == ';') {
            continue;
        }
        if (line.front() == '[' && line.back() == ']') {
            std::string name = trim(line.substr(1, line.size() - 2));
            // The credentials file names sections `[name]`; `[profile name]`
            // is the config file's spelling, accepted too.
            if (name.rfind("profile ", 0) == 0) {
                name = trim(name.substr(8));
            }
            inside = name == profile;
            found = found || inside;
            continue;
        }
        const auto equals = line.find('=');
        if (inside && equals != std::string::npos) {
            values[lowercase(trim(line.substr(0, equals)))] =
              trim(line.substr(equals + 1));
        }
    }
    if (!found) {
        return std::nullopt;
    }
    return values;
}

std::filesystem::path
default_credentials_file()
{
    if (auto file = env("AWS_SHARED_CREDENTIALS_FILE"); !file.empty()) {
        return file;
    }
    if (auto home = env("HOME"); !home.empty()) {
        return std::filesystem::path(home) / ".aws" / "credentials";
    }
    return {};
}

} // namespace

Credentials
Credentials::from_shared_file(const std::filesystem::path& file,
                              const std::string& profile)
{
    std::ifstream in(file);
    if (!in) {
        fail(ZarrStatusCode_InvalidSettings,
             "cannot read the S3 credentials file ",
             file.string(),
             " (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
             "AWS_SHARED_CREDENTIALS_FILE)");
    }
    const auto values = read_profile(in, profile);
    if (!values) {
        fail(ZarrStatusCode_InvalidSettings,
             "no profile '",
             profile,
             "' in the S3 credentials file ",
             file.string(),
             " (AWS_PROFILE chooses the profile)");
    }
    const auto value = [&](const char* key) {
        auto it = values->find(key);
        return it == values->end() ? std::string() : it->second;
    };
    Credentials credentials{ value("aws_access_key_id"),
                             value("aws_secret_access_key"),
                             value("aws_session_token"),
                             concat(file.string(), ", profile '", profile, "'") };
    if (credentials.session_token.empty()) { // the older spelling
        credentials.session_token = value("aws_security_token");
    }
    for (const auto& [field, what] :
         { std::pair{ &credentials.access_key_id, "aws_access_key_id" },
           std::pair{ &credentials.secret_access_key,
                      "aws_secret_access_key" } }) {
        if (field->empty()) {
            fail(ZarrStatusCode_InvalidSettings,
                 "the S3 credentials in ",
                 credentials.source,
                 " have no ",
                 what);
        }
    }
    return credentials;
}

Credentials
Credentials::resolve()
{
    const std::string id = env("AWS_ACCESS_KEY_ID");
    const std::string secret = env("AWS_SECRET_ACCESS_KEY");
    if (!id.empty() && !secret.empty()) {
        return { id, secret, env("AWS_SESSION_TOKEN"), "environment variables" };
    }
    if (!id.empty() || !secret.empty()) {
        fail(ZarrStatusCode_InvalidSettings,
             id.empty() ? "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"
                        : "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    }

    std::string profile = env("AWS_PROFILE");
    if (profile.empty()) {
        profile = "default";
    }
    const auto file = default_credentials_file();
    std::error_code ignored;
    if (file.empty() || !std::filesystem::exists(file, ignored)) {
        fail(ZarrStatusCode_InvalidSettings,
             "no S3 credentials: set AWS_ACCESS_KEY_ID and "
             "AWS_SECRET_ACCESS_KEY, or write profile '",
             profile,
             "' to ",
             file.empty() ? std::string("~/.aws/credentials") : file.string());
    }
    return from_shared_file(file, profile);
}

} // namespace zarr::s3
