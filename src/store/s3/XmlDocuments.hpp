#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

/// The small XML request and response bodies of multipart uploads and
/// DeleteObjects, written and read with pugixml.
namespace zarr::s3::xml {

/// The UploadId of an InitiateMultipartUploadResult; "" if there is none.
std::string
upload_id(std::string_view body);

/// The upload IDs of `key`'s entries in a ListMultipartUploadsResult.
std::vector<std::string>
upload_ids_of(std::string_view body, const std::string& key);

/// A CompleteMultipartUpload body: part i+1 has ETag etags[i].
std::string
complete_multipart_upload(const std::vector<std::string>& etags);

/// Whether a CompleteMultipartUpload response that came with HTTP 200 is
/// really a success: S3 may send its status line before it has finished
/// and report a failure in the body instead (an <Error> document).
bool
is_complete_multipart_upload_result(std::string_view body);

/// A quiet DeleteObjects body (the response lists only failures).
std::string
delete_objects(std::span<const std::string> keys);

struct DeleteFailure
{
    std::string key;
    std::string code;
    std::string message;
};

/// The <Error> entries of a DeleteResult. Throws ZarrError(IOError) if
/// `body` is not a DeleteResult.
std::vector<DeleteFailure>
delete_failures(std::string_view body);

} // namespace zarr::s3::xml
