#include "store/s3/XmlDocuments.hpp"

#include "util/ZarrError.hpp"

#include <pugixml.hpp>

#include <sstream>

namespace zarr::s3::xml {
namespace {

constexpr const char* s3_namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

pugi::xml_node
root(pugi::xml_document& document, std::string_view body, const char* name)
{
    if (body.empty() || !document.load_buffer(body.data(), body.size())) {
        return {};
    }
    return document.child(name);
}

std::string
to_string(const pugi::xml_document& document)
{
    std::ostringstream out;
    document.save(out, "", pugi::format_raw);
    return out.str();
}

pugi::xml_node
new_root(pugi::xml_document& document, const char* name)
{
    auto declaration = document.append_child(pugi::node_declaration);
    declaration.append_attribute("version") = "1.0";
    declaration.append_attribute("encoding") = "UTF-8";
    pugi::xml_node node = document.append_child(name);
    node.append_attribute("xmlns") = s3_namespace;
    return node;
}

} // namespace

std::string
upload_id(std::string_view body)
{
    pugi::xml_document document;
    return root(document, body, "InitiateMultipartUploadResult").child_value("UploadId");
}

std::vector<std::string>
upload_ids_of(std::string_view body, const std::string& key)
{
    pugi::xml_document document;
    std::vector<std::string> ids;
    for (const pugi::xml_node upload :
         root(document, body, "ListMultipartUploadsResult").children("Upload")) {
        if (upload.child_value("Key") == key) {
            ids.emplace_back(upload.child_value("UploadId"));
        }
    }
    return ids;
}

std::string
complete_multipart_upload(const std::vector<std::string>& etags)
{
    pugi::xml_document document;
    pugi::xml_node upload = new_root(document, "CompleteMultipartUpload");
    for (std::size_t i = 0; i < etags.size(); ++i) {
        pugi::xml_node part = upload.append_child("Part");
        part.append_child("ETag").text() = etags[i].c_str();
        part.append_child("PartNumber").text() = static_cast<unsigned long long>(i + 1);
    }
    return to_string(document);
}

bool
is_complete_multipart_upload_result(std::string_view body)
{
    pugi::xml_document document;
    return static_cast<bool>(root(document, body, "CompleteMultipartUploadResult"));
}

std::string
delete_objects(std::span<const std::string> keys)
{
    pugi::xml_document document;
    pugi::xml_node request = new_root(document, "Delete");
    request.append_child("Quiet").text() = "true";
    for (const std::string& key : keys) {
        request.append_child("Object").append_child("Key").text() = key.c_str();
    }
    return to_string(document);
}

std::vector<DeleteFailure>
delete_failures(std::string_view body)
{
    pugi::xml_document document;
    const pugi::xml_node result = root(document, body, "DeleteResult");
    if (!result) {
        fail(ZarrStatusCode_IOError,
             "S3 DeleteObjects returned something that is not a DeleteResult "
             "document");
    }
    std::vector<DeleteFailure> failures;
    for (pugi::xml_node error : result.children("Error")) {
        failures.push_back({ error.child_value("Key"),
                             error.child_value("Code"),
                             error.child_value("Message") });
    }
    return failures;
}

} // namespace zarr::s3::xml
