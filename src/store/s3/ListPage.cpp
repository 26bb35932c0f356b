#include "store/s3/ListPage.hpp"

#include "store/s3/UrlEncoding.hpp"
#include "util/ZarrError.hpp"

#include <pugixml.hpp>

namespace zarr::s3 {

ListPage
ListPage::parse(std::string_view body)
{
    pugi::xml_document document;
    pugi::xml_node result;
    if (document.load_buffer(body.data(), body.size())) {
        result = document.child("ListBucketResult");
    }
    if (!result) {
        fail(ZarrStatusCode_IOError,
             "S3 ListObjectsV2 returned something that is not a "
             "ListBucketResult document");
    }
    const bool url_encoded = std::string_view(result.child_value("EncodingType")) == "url";

    ListPage page;
    for (pugi::xml_node object : result.children("Contents")) {
        const char* key = object.child_value("Key");
        page.keys.push_back(url_encoded ? url::decode_form(key) : std::string(key));
    }
    if (std::string_view(result.child_value("IsTruncated")) == "true") {
        page.next_continuation_token = result.child_value("NextContinuationToken");
        if (page.next_continuation_token.empty()) {
            fail(ZarrStatusCode_IOError,
                 "S3 ListObjectsV2 returned a truncated page without a "
                 "NextContinuationToken");
        }
    }
    return page;
}

} // namespace zarr::s3
