#pragma once

#include <filesystem>
#include <string>

namespace zarr::s3 {

/// The key an S3 request is signed with. The secret and the session token
/// never appear in a log line, an error message or an exception: only the
/// access key ID and `source` are shown, which say whose key was refused.
struct Credentials
{
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token; // empty unless temporary credentials
    /// Where they came from, for messages: "environment variables" or
    /// "<file>, profile '<name>'".
    std::string source;

    /// AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) if
    /// set, else the shared credentials file (AWS_SHARED_CREDENTIALS_FILE,
    /// else ~/.aws/credentials) at profile AWS_PROFILE, else "default".
    /// Throws ZarrError(InvalidSettings) naming what is missing where.
    static Credentials resolve();

    /// The profile `profile` of a shared credentials file (INI: `[name]`
    /// sections of `key = value` lines, `#` or `;` comments).
    static Credentials from_shared_file(const std::filesystem::path& file,
                                        const std::string& profile);
};

} // namespace zarr::s3
