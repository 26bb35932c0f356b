#include "api/SettingsDocument.hpp"

#include "util/RawEnum.hpp"
#include "util/ZarrError.hpp"

#include <yaml.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <new>
#include <string_view>
#include <vector>

namespace zarr::settings_document {
namespace {

using json = nlohmann::json;

constexpr ZarrStatusCode kInvalid = ZarrStatusCode_InvalidSettings;
constexpr int kMinSchemaVersion = 1;
constexpr int kMaxDepth = 64;
// Aliases repeat what an anchor names, so a small text can stand for a huge
// document (each level of aliases multiplying the last): refuse more values
// than any settings document needs.
constexpr size_t kMaxValues = 1000000;

// ---- text -> value (libyaml) ----------------------------------------------

std::string
position(const yaml_mark_t& mark)
{
    return concat("line ", mark.line + 1, ", column ", mark.column + 1);
}

/// A short rendering of a value for error messages.
std::string
shown(const json& value)
{
    std::string text = value.dump();
    if (text.size() > 60) {
        text = text.substr(0, 57) + "...";
    }
    return text;
}

std::string
child_path(const std::string& parent, const std::string& key)
{
    return parent.empty() ? key : parent + "." + key;
}

std::string
item_path(const std::string& parent, size_t index)
{
    return concat(parent, "[", index, "]");
}

class Event
{
  public:
    Event() { std::memset(&event_, 0, sizeof event_); }
    ~Event() { yaml_event_delete(&event_); }
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;

    yaml_event_t* get() { return &event_; }
    const yaml_event_t& operator*() const { return event_; }
    const yaml_event_t* operator->() const { return &event_; }

  private:
    yaml_event_t event_;
};

bool
matches(std::string_view s, std::initializer_list<std::string_view> options)
{
    for (const auto option : options) {
        if (s == option) {
            return true;
        }
    }
    return false;
}

bool
all_of(std::string_view s, bool (*pred)(char))
{
    if (s.empty()) {
        return false;
    }
    for (const char c : s) {
        if (!pred(c)) {
            return false;
        }
    }
    return true;
}

bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool
is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool
is_octal(char c)
{
    return c >= '0' && c <= '7';
}

/// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool
is_float_literal(std::string_view s)
{
    size_t i = 0;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
        ++i;
    }
    size_t digits = 0;
    while (i < s.size() && is_digit(s[i])) {
        ++i, ++digits;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && is_digit(s[i])) {
            ++i, ++digits;
        }
    }
    if (digits == 0) {
        return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
            ++i;
        }
        if (!(i < s.size() && is_digit(s[i]))) {
            return false;
        }
        while (i < s.size() && is_digit(s[i])) {
            ++i;
        }
    }
    return i == s.size();
}

/// How a plain (unquoted) scalar reads: the YAML 1.2 core schema, so `y`,
/// `yes`, `on` and `no` are strings (a dimension named y stays "y").
/// Returns a discarded value for a string.
json
resolve_plain(std::string_view s, const std::string& where)
{
    if (matches(s, { "", "~", "null", "Null", "NULL" })) {
        return nullptr;
    }
    if (matches(s, { "true", "True", "TRUE" })) {
        return true;
    }
    if (matches(s, { "false", "False", "FALSE" })) {
        return false;
    }
    const bool negative = !s.empty() && s[0] == '-';
    std::string_view magnitude = s;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        magnitude.remove_prefix(1);
    }
    int base = 0;
    std::string_view digits;
    if (all_of(magnitude, is_digit)) {
        base = 10, digits = magnitude;
    } else if (magnitude.size() > 2 && magnitude.substr(0, 2) == "0x" &&
               all_of(magnitude.substr(2), is_hex)) {
        base = 16, digits = magnitude.substr(2);
    } else if (magnitude.size() > 2 && magnitude.substr(0, 2) == "0o" &&
               all_of(magnitude.substr(2), is_octal)) {
        base = 8, digits = magnitude.substr(2);
    }
    if (base != 0) {
        uint64_t value = 0;
        const auto [end, error] =
          std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
        if (error != std::errc() || end != digits.data() + digits.size() ||
            (negative && value > uint64_t(std::numeric_limits<int64_t>::max()) + 1)) {
            fail(kInvalid, "the integer ", s, " at ", where, " is out of range");
        }
        if (negative) {
            return value == 0 ? json(int64_t(0)) : json(int64_t(0) - int64_t(value - 1) - 1);
        }
        return json(value);
    }
    if (is_float_literal(s)) {
        return std::strtod(std::string(s).c_str(), nullptr);
    }
    if (matches(magnitude, { ".inf", ".Inf", ".INF" })) {
        return negative ? -std::numeric_limits<double>::infinity()
                        : std::numeric_limits<double>::infinity();
    }
    if (matches(s, { ".nan", ".NaN", ".NAN" })) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    return json(json::value_t::discarded);
}

class TextParser
{
  public:
    TextParser(const std::string& text, Document& out)
      : out_(out)
    {
        if (!yaml_parser_initialize(&parser_)) {
            throw std::bad_alloc();
        }
        yaml_parser_set_input_string(
          &parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    }
    ~TextParser() { yaml_parser_delete(&parser_); }
    TextParser(const TextParser&) = delete;
    TextParser& operator=(const TextParser&) = delete;

    void run()
    {
        Event event;
        next(event); // stream start
        Event document;
        next(document);
        if (document->type == YAML_STREAM_END_EVENT) {
            fail(kInvalid, "the document is empty");
        }
        Event root;
        next(root);
        out_.root = node(root, "", 0);
        Event end;
        next(end); // document end
        Event after;
        next(after);
        if (after->type != YAML_STREAM_END_EVENT) {
            fail(kInvalid,
                 "the text holds more than one YAML document (a second one starts at ",
                 position(after->start_mark),
                 ")");
        }
    }

  private:
    void next(Event& event)
    {
        if (!yaml_parser_parse(&parser_, event.get())) {
            syntax_error();
        }
    }

    [[noreturn]] void syntax_error()
    {
        std::string message = "not valid YAML or JSON: ";
        if (parser_.error == YAML_READER_ERROR) {
            message += concat(parser_.problem ? parser_.problem : "unreadable text",
                              " at byte ",
                              parser_.problem_offset);
        } else {
            message += concat(position(parser_.problem_mark),
                              ": ",
                              parser_.problem ? parser_.problem : "syntax error");
            if (parser_.context) {
                message += concat(" (", parser_.context, " that starts at ",
                                  position(parser_.context_mark), ")");
            }
        }
        fail(kInvalid, message);
    }

    json scalar(const yaml_event_t& event, const std::string& path)
    {
        const auto& s = event.data.scalar;
        const std::string_view value(reinterpret_cast<const char*>(s.value), s.length);
        const std::string where = position(event.start_mark);
        const std::string tag = s.tag ? reinterpret_cast<const char*>(s.tag) : "";
        if (tag == "tag:yaml.org,2002:str") {
            return std::string(value);
        }
        if (!tag.empty() && tag != "!") {
            const std::string name = tag.rfind("tag:yaml.org,2002:", 0) == 0 ? tag.substr(18) : "";
            json resolved = resolve_plain(value, where);
            const bool ok = (name == "int" && resolved.is_number_integer()) ||
                            (name == "float" && resolved.is_number()) ||
                            (name == "bool" && resolved.is_boolean()) ||
                            (name == "null" && resolved.is_null());
            if (!ok) {
                fail(kInvalid,
                     path.empty() ? "the document" : path,
                     ": the value '", value, "' does not fit its tag ", tag, " (", where, ")");
            }
            return name == "float" ? json(resolved.get<double>()) : resolved;
        }
        if (s.style != YAML_PLAIN_SCALAR_STYLE || tag == "!") {
            return std::string(value); // quoted, literal or folded: a string
        }
        json resolved = resolve_plain(value, where);
        return resolved.is_discarded() ? json(std::string(value)) : resolved;
    }

    json node(const Event& event, const std::string& path, int depth)
    {
        if (depth > kMaxDepth) {
            fail(kInvalid, "the document nests more than ", kMaxDepth, " levels deep (at ",
                 position(event->start_mark), ")");
        }
        out_.where[path] = position(event->start_mark);
        const char* anchor = nullptr;
        const size_t values_before = values_;
        count(1, event);
        json value;
        switch (event->type) {
            case YAML_SCALAR_EVENT:
                anchor = reinterpret_cast<const char*>(event->data.scalar.anchor);
                value = scalar(*event, path);
                break;
            case YAML_ALIAS_EVENT: {
                const std::string name = reinterpret_cast<const char*>(event->data.alias.anchor);
                const auto found = anchors_.find(name);
                if (found == anchors_.end()) {
                    fail(kInvalid, "unknown alias *", name, " at ", position(event->start_mark));
                }
                count(found->second.second, event);
                return found->second.first;
            }
            case YAML_SEQUENCE_START_EVENT: {
                anchor = reinterpret_cast<const char*>(event->data.sequence_start.anchor);
                value = json::array();
                for (size_t i = 0;; ++i) {
                    Event item;
                    next(item);
                    if (item->type == YAML_SEQUENCE_END_EVENT) {
                        break;
                    }
                    value.push_back(node(item, item_path(path, i), depth + 1));
                }
                break;
            }
            case YAML_MAPPING_START_EVENT: {
                anchor = reinterpret_cast<const char*>(event->data.mapping_start.anchor);
                value = json::object();
                for (;;) {
                    Event key;
                    next(key);
                    if (key->type == YAML_MAPPING_END_EVENT) {
                        break;
                    }
                    if (key->type != YAML_SCALAR_EVENT) {
                        fail(kInvalid, path.empty() ? "the document" : path,
                             ": a key must be a plain string (", position(key->start_mark), ")");
                    }
                    const std::string name(reinterpret_cast<const char*>(key->data.scalar.value),
                                           key->data.scalar.length);
                    if (value.contains(name)) {
                        fail(kInvalid, child_path(path, name), ": the key '", name,
                             "' appears twice (again at ", position(key->start_mark), ")");
                    }
                    Event item;
                    next(item);
                    value[name] = node(item, child_path(path, name), depth + 1);
                }
                break;
            }
            default:
                fail(kInvalid, "unexpected YAML event at ", position(event->start_mark));
        }
        if (anchor) {
            anchors_[anchor] = { value, values_ - values_before };
        }
        return value;
    }

    void count(size_t n, const Event& event)
    {
        values_ += n;
        if (values_ > kMaxValues) {
            fail(kInvalid, "the document holds more than ", kMaxValues,
                 " values (counting what its aliases repeat; at ", position(event->start_mark), ")");
        }
    }

    yaml_parser_t parser_;
    Document& out_;
    std::map<std::string, std::pair<json, size_t>> anchors_;
    size_t values_ = 0;
};

// ---- value -> settings -----------------------------------------------------

struct EnumName
{
    const char* name;
    int value;
};

constexpr EnumName kDataTypes[] = {
    { "uint8", ZarrDataType_uint8 },     { "uint16", ZarrDataType_uint16 },
    { "uint32", ZarrDataType_uint32 },   { "uint64", ZarrDataType_uint64 },
    { "int8", ZarrDataType_int8 },       { "int16", ZarrDataType_int16 },
    { "int32", ZarrDataType_int32 },     { "int64", ZarrDataType_int64 },
    { "float32", ZarrDataType_float32 }, { "float64", ZarrDataType_float64 },
};
constexpr EnumName kDimensionTypes[] = {
    { "space", ZarrDimensionType_Space },
    { "channel", ZarrDimensionType_Channel },
    { "time", ZarrDimensionType_Time },
    { "other", ZarrDimensionType_Other },
};
constexpr EnumName kCompressors[] = {
    { "none", ZarrCompressor_None },
    { "blosc1", ZarrCompressor_Blosc1 },
    { "zstd", ZarrCompressor_Zstd },
};
constexpr EnumName kCodecs[] = {
    { "none", ZarrCompressionCodec_None },
    { "blosc-lz4", ZarrCompressionCodec_BloscLZ4 },
    { "blosc-zstd", ZarrCompressionCodec_BloscZstd },
    { "zstd", ZarrCompressionCodec_Zstd },
};
constexpr EnumName kMethods[] = {
    { "none", ZarrDownsamplingMethod_None },
    { "decimate", ZarrDownsamplingMethod_Decimate },
    { "mean", ZarrDownsamplingMethod_Mean },
    { "min", ZarrDownsamplingMethod_Min },
    { "max", ZarrDownsamplingMethod_Max },
};

template<typename T>
T*
zeroed(size_t count)
{
    if (count == 0) {
        return nullptr;
    }
    auto* items = static_cast<T*>(std::calloc(count, sizeof(T)));
    if (!items) {
        throw std::bad_alloc();
    }
    return items;
}

char*
copy_string(const std::string& s)
{
    auto* out = static_cast<char*>(std::malloc(s.size() + 1));
    if (!out) {
        throw std::bad_alloc();
    }
    std::memcpy(out, s.c_str(), s.size() + 1);
    return out;
}

void
free_string(const char* s)
{
    std::free(const_cast<char*>(s));
}

class Loader
{
  public:
    explicit Loader(const Document& document)
      : document_(document)
    {
    }

    void stream(const json& doc, ZarrStreamSettings* out) const
    {
        if (!doc.is_object()) {
            fail_at("", concat("the document must be a mapping of settings, not ", kind(doc)));
        }
        int version = kSchemaVersion;
        if (const json* v = optional(doc, "version")) {
            const uint64_t requested = unsigned_integer(*v, "version");
            if (requested < uint64_t(kMinSchemaVersion) || requested > uint64_t(kSchemaVersion)) {
                fail_at("version",
                        concat("unsupported settings schema version ", requested,
                               " (supported: ", kMinSchemaVersion, " and ", kSchemaVersion,
                               "); the Zarr format version goes under 'zarr_version'"));
            }
            version = int(requested);
        }
        json migrated;
        if (version == 1) {
            migrated = doc;
            migrate_v1(migrated);
        }
        const json& d = version == 1 ? migrated : doc;

        allowed(d, "", { "version", "zarr_version", "store_path", "s3", "max_threads",
                         "overwrite", "arrays", "plates", "hcs_plates" });
        out->store_path = copy_string(text(required(d, "store_path", ""), "store_path"));
        out->overwrite = flag_or(d, "overwrite", "", false);
        out->max_threads = unsigned_or<uint32_t>(d, "max_threads", "", 0);
        out->version = ZarrVersion_3;
        if (const json* v = optional(d, "zarr_version")) {
            const uint64_t zarr_version = unsigned_integer(*v, "zarr_version");
            if (zarr_version != 2 && zarr_version != 3) {
                fail_at("zarr_version",
                        concat("Zarr format version ", zarr_version, " does not exist (2 or 3)"));
            }
            out->version = zarr_version == 2 ? ZarrVersion_2 : ZarrVersion_3;
        }

        if (const json* s3 = optional(d, "s3")) {
            object(*s3, "s3");
            allowed(*s3, "s3", { "endpoint", "bucket_name", "region" });
            out->s3_settings = zeroed<ZarrS3Settings>(1);
            out->s3_settings->endpoint =
              copy_string(text(required(*s3, "endpoint", "s3"), "s3.endpoint"));
            out->s3_settings->bucket_name =
              copy_string(text(required(*s3, "bucket_name", "s3"), "s3.bucket_name"));
            if (const json* region = optional(*s3, "region")) {
                out->s3_settings->region = copy_string(text(*region, "s3.region"));
            }
        }

        if (const json* arrays = optional(d, "arrays")) {
            list(*arrays, "arrays");
            out->array_count = arrays->size();
            out->arrays = zeroed<ZarrArraySettings>(arrays->size());
            for (size_t i = 0; i < arrays->size(); ++i) {
                array((*arrays)[i], &out->arrays[i], item_path("arrays", i), true);
            }
        }

        const char* plates_key = alias(d, "", "plates", "hcs_plates");
        if (const json* plates = plates_key ? optional(d, plates_key) : nullptr) {
            list(*plates, plates_key);
            out->hcs_settings = zeroed<ZarrHCSSettings>(1);
            out->hcs_settings->plate_count = plates->size();
            out->hcs_settings->plates = zeroed<ZarrHCSPlate>(plates->size());
            for (size_t i = 0; i < plates->size(); ++i) {
                plate((*plates)[i], &out->hcs_settings->plates[i], item_path(plates_key, i));
            }
        }

        if (out->array_count == 0 && (!out->hcs_settings || out->hcs_settings->plate_count == 0)) {
            fail_at("", "the document describes no arrays: give 'arrays' and/or 'plates'");
        }
    }

  private:
    // Version 1 gated downsampling behind `multiscale`; version 2 has
    // `is_ngff` instead. Rewrites a version-1 document into version 2.
    void migrate_array_v1(json& a, const std::string& path) const
    {
        if (!a.is_object()) {
            return; // array() reports it
        }
        if (a.contains("is_ngff")) {
            fail_at(child_path(path, "is_ngff"),
                    "'is_ngff' needs settings schema version 2, but this document declares "
                    "version 1, where the equivalent field is 'multiscale'");
        }
        bool multiscale = false;
        if (const json* m = optional(a, "multiscale")) {
            multiscale = flag(*m, child_path(path, "multiscale"));
        }
        a.erase("multiscale");
        a["is_ngff"] = multiscale;
        if (!multiscale) {
            a["downsampling_method"] = "none"; // version 1 ignored it then
        } else if (!a.contains("downsampling_method") || a["downsampling_method"].is_null()) {
            a["downsampling_method"] = "decimate"; // version 1's default
        }
    }

    void migrate_v1(json& doc) const
    {
        if (!doc.is_object()) {
            return;
        }
        if (doc.contains("arrays") && doc["arrays"].is_array()) {
            auto& arrays = doc["arrays"];
            for (size_t i = 0; i < arrays.size(); ++i) {
                migrate_array_v1(arrays[i], item_path("arrays", i));
            }
        }
        for (const char* key : { "plates", "hcs_plates" }) {
            if (!doc.contains(key) || !doc[key].is_array()) {
                continue;
            }
            auto& plates = doc[key];
            for (size_t p = 0; p < plates.size(); ++p) {
                auto& plate = plates[p];
                if (!plate.is_object() || !plate.contains("wells") || !plate["wells"].is_array()) {
                    continue;
                }
                auto& wells = plate["wells"];
                for (size_t w = 0; w < wells.size(); ++w) {
                    auto& well = wells[w];
                    if (!well.is_object() || !well.contains("images") ||
                        !well["images"].is_array()) {
                        continue;
                    }
                    auto& images = well["images"];
                    for (size_t i = 0; i < images.size(); ++i) {
                        const std::string path =
                          item_path(item_path(item_path(key, p) + ".wells", w) + ".images", i);
                        for (const char* field : { "array", "array_settings" }) {
                            if (images[i].is_object() && images[i].contains(field)) {
                                migrate_array_v1(images[i][field], child_path(path, field));
                            }
                        }
                    }
                }
            }
        }
    }

    void array(const json& a,
               ZarrArraySettings* out,
               const std::string& path,
               bool output_key_allowed) const
    {
        object(a, path);
        if (a.contains("multiscale")) {
            fail_at(child_path(path, "multiscale"),
                    "'multiscale' has been replaced by 'is_ngff'; set 'is_ngff' and/or "
                    "'downsampling_method' instead, or declare 'version: 1' to load this "
                    "document with version-1 semantics");
        }
        allowed(a, path, { "output_key", "data_type", "compression", "dimensions",
                           "downsampling_method", "max_levels", "is_ngff",
                           "storage_dimension_order" });
        const json* key = optional(a, "output_key");
        if (key && !output_key_allowed && key->is_string() && key->get<std::string>().empty()) {
            key = nullptr; // "" is unset (Python writes it so)
        }
        if (key) {
            if (!output_key_allowed) {
                fail_at(child_path(path, "output_key"),
                        "a field of view's array has no output_key: it is stored at the "
                        "field's path");
            }
            out->output_key = copy_string(text(*key, child_path(path, "output_key")));
        }
        out->data_type = ZarrDataType(
          enumerated(required(a, "data_type", path), child_path(path, "data_type"), "data type",
                     kDataTypes));
        out->is_ngff = flag_or(a, "is_ngff", path, false);
        out->downsampling_method = ZarrDownsamplingMethod_None;
        if (const json* m = optional(a, "downsampling_method")) {
            out->downsampling_method = ZarrDownsamplingMethod(enumerated(
              *m, child_path(path, "downsampling_method"), "downsampling method", kMethods));
        }
        out->max_levels = unsigned_or<uint32_t>(a, "max_levels", path, 0);

        if (const json* c = optional(a, "compression")) {
            const std::string cpath = child_path(path, "compression");
            object(*c, cpath);
            allowed(*c, cpath, { "compressor", "codec", "level", "shuffle" });
            out->compression_settings = zeroed<ZarrCompressionSettings>(1);
            auto* cs = out->compression_settings;
            cs->compressor = ZarrCompressor(enumerated(required(*c, "compressor", cpath),
                                                       child_path(cpath, "compressor"),
                                                       "compressor", kCompressors));
            cs->codec = ZarrCompressionCodec(enumerated(
              required(*c, "codec", cpath), child_path(cpath, "codec"), "codec", kCodecs));
            cs->level = unsigned_or<uint8_t>(*c, "level", cpath, 1);
            cs->shuffle = unsigned_or<uint8_t>(*c, "shuffle", cpath, 0);
        }

        const std::string dpath = child_path(path, "dimensions");
        const json& dims = required(a, "dimensions", path);
        list(dims, dpath);
        if (dims.empty()) {
            fail_at(dpath, "an array needs at least one dimension (the list is empty)");
        }
        out->dimension_count = dims.size();
        out->dimensions = zeroed<ZarrDimensionProperties>(dims.size());
        for (size_t i = 0; i < dims.size(); ++i) {
            dimension(dims[i], &out->dimensions[i], item_path(dpath, i));
        }

        if (const json* order = optional(a, "storage_dimension_order")) {
            const std::string opath = child_path(path, "storage_dimension_order");
            list(*order, opath);
            if (order->size() != dims.size()) {
                fail_at(opath, concat("gives ", order->size(), " entries for ", dims.size(),
                                      " dimensions: it needs one per dimension"));
            }
            auto* indices = zeroed<size_t>(order->size());
            out->storage_dimension_order = indices;
            for (size_t i = 0; i < order->size(); ++i) {
                indices[i] = storage_index((*order)[i], *out, item_path(opath, i));
            }
        }
    }

    /// An entry of storage_dimension_order: an index into `dimensions` (as
    /// the published files have it) or a dimension's name.
    size_t storage_index(const json& v, const ZarrArraySettings& a, const std::string& path) const
    {
        if (v.is_string()) {
            const auto name = v.get<std::string>();
            for (size_t d = 0; d < a.dimension_count; ++d) {
                if (a.dimensions[d].name && name == a.dimensions[d].name) {
                    return d;
                }
            }
            std::string names;
            for (size_t d = 0; d < a.dimension_count; ++d) {
                names += concat(d ? ", " : "", a.dimensions[d].name ? a.dimensions[d].name : "");
            }
            fail_at(path, concat("no dimension is named '", name, "' (the dimensions are ",
                                 names, ")"));
        }
        const uint64_t index = unsigned_integer(v, path);
        if (index >= a.dimension_count) {
            fail_at(path, concat("index ", index, " is past the last dimension (",
                                 a.dimension_count - 1, ")"));
        }
        return size_t(index);
    }

    void dimension(const json& d, ZarrDimensionProperties* out, const std::string& path) const
    {
        object(d, path);
        allowed(d, path, { "name", "type", "kind", "array_size_px", "chunk_size_px",
                           "shard_size_chunks", "unit", "scale" });
        out->name = copy_string(text(required(d, "name", path), child_path(path, "name")));
        const char* type_key = alias(d, path, "type", "kind");
        if (!type_key) {
            fail_at(path, "missing required field 'type' (space, channel, time or other)");
        }
        out->type = ZarrDimensionType(enumerated(required(d, type_key, path),
                                                 child_path(path, type_key), "dimension type",
                                                 kDimensionTypes));
        out->array_size_px = unsigned_value<uint32_t>(required(d, "array_size_px", path),
                                                      child_path(path, "array_size_px"));
        out->chunk_size_px = unsigned_value<uint32_t>(required(d, "chunk_size_px", path),
                                                      child_path(path, "chunk_size_px"));
        out->shard_size_chunks = unsigned_value<uint32_t>(
          required(d, "shard_size_chunks", path), child_path(path, "shard_size_chunks"));
        if (const json* unit = optional(d, "unit")) {
            out->unit = copy_string(text(*unit, child_path(path, "unit")));
        }
        out->scale = 1.0;
        if (const json* scale = optional(d, "scale")) {
            out->scale = number(*scale, child_path(path, "scale"));
        }
    }

    void plate(const json& p, ZarrHCSPlate* out, const std::string& path) const
    {
        object(p, path);
        allowed(p, path, { "path", "name", "row_names", "column_names", "wells", "acquisitions" });
        out->path = copy_string(text(required(p, "path", path), child_path(path, "path")));
        if (const json* name = optional(p, "name")) {
            out->name = copy_string(text(*name, child_path(path, "name")));
        }
        out->row_names =
          strings(required(p, "row_names", path), child_path(path, "row_names"), &out->row_count);
        out->column_names = strings(required(p, "column_names", path),
                                    child_path(path, "column_names"), &out->column_count);

        const std::string wpath = child_path(path, "wells");
        const json& wells = required(p, "wells", path);
        list(wells, wpath);
        out->well_count = wells.size();
        out->wells = zeroed<ZarrHCSWell>(wells.size());
        for (size_t i = 0; i < wells.size(); ++i) {
            well(wells[i], &out->wells[i], item_path(wpath, i));
        }

        if (const json* acquisitions = optional(p, "acquisitions")) {
            const std::string apath = child_path(path, "acquisitions");
            list(*acquisitions, apath);
            out->acquisition_count = acquisitions->size();
            out->acquisitions = zeroed<ZarrHCSAcquisition>(acquisitions->size());
            for (size_t i = 0; i < acquisitions->size(); ++i) {
                acquisition((*acquisitions)[i], &out->acquisitions[i], item_path(apath, i));
            }
        }
    }

    void well(const json& w, ZarrHCSWell* out, const std::string& path) const
    {
        object(w, path);
        allowed(w, path, { "row_name", "column_name", "images" });
        out->row_name =
          copy_string(text(required(w, "row_name", path), child_path(path, "row_name")));
        out->column_name =
          copy_string(text(required(w, "column_name", path), child_path(path, "column_name")));
        const std::string ipath = child_path(path, "images");
        const json& images = required(w, "images", path);
        list(images, ipath);
        out->image_count = images.size();
        out->images = zeroed<ZarrHCSFieldOfView>(images.size());
        for (size_t i = 0; i < images.size(); ++i) {
            field_of_view(images[i], &out->images[i], item_path(ipath, i));
        }
    }

    void field_of_view(const json& f, ZarrHCSFieldOfView* out, const std::string& path) const
    {
        object(f, path);
        allowed(f, path, { "path", "acquisition_id", "array", "array_settings" });
        out->path = copy_string(text(required(f, "path", path), child_path(path, "path")));
        if (const json* id = optional(f, "acquisition_id")) {
            out->acquisition_id = unsigned_value<uint32_t>(*id, child_path(path, "acquisition_id"));
            out->has_acquisition_id = true;
        }
        const char* array_key = alias(f, path, "array", "array_settings");
        if (!array_key) {
            fail_at(path, "missing required field 'array' (the field of view's array settings)");
        }
        out->array_settings = zeroed<ZarrArraySettings>(1);
        array(required(f, array_key, path), out->array_settings, child_path(path, array_key),
              false);
    }

    void acquisition(const json& a, ZarrHCSAcquisition* out, const std::string& path) const
    {
        object(a, path);
        allowed(a, path, { "id", "name", "description", "start_time", "end_time" });
        out->id = unsigned_value<uint32_t>(required(a, "id", path), child_path(path, "id"));
        if (const json* name = optional(a, "name")) {
            out->name = copy_string(text(*name, child_path(path, "name")));
        }
        if (const json* description = optional(a, "description")) {
            out->description = copy_string(text(*description, child_path(path, "description")));
        }
        if (const json* start = optional(a, "start_time")) {
            out->start_time = unsigned_integer(*start, child_path(path, "start_time"));
            out->has_start_time = true;
        }
        if (const json* end = optional(a, "end_time")) {
            out->end_time = unsigned_integer(*end, child_path(path, "end_time"));
            out->has_end_time = true;
        }
    }

    // ---- typed access, every failure naming the field --------------------

    [[noreturn]] void fail_at(const std::string& path, const std::string& message) const
    {
        // The position of the field, or of the nearest enclosing value.
        std::string where;
        for (std::string p = path;;) {
            const auto found = document_.where.find(p);
            if (found != document_.where.end()) {
                where = found->second;
                break;
            }
            const size_t cut = p.find_last_of(".[");
            if (p.empty()) {
                break;
            }
            p = cut == std::string::npos ? "" : p.substr(0, cut);
        }
        fail(kInvalid, path.empty() ? "" : path + ": ", message,
             where.empty() ? "" : " (" + where + ")");
    }

    static std::string kind(const json& v)
    {
        switch (v.type()) {
            case json::value_t::object:
                return "a mapping";
            case json::value_t::array:
                return "a list";
            case json::value_t::string:
                return "the string " + shown(v);
            case json::value_t::null:
                return "null";
            default:
                return shown(v);
        }
    }

    void object(const json& v, const std::string& path) const
    {
        if (!v.is_object()) {
            fail_at(path, concat("expected a mapping of fields, got ", kind(v)));
        }
    }

    void list(const json& v, const std::string& path) const
    {
        if (!v.is_array()) {
            fail_at(path, concat("expected a list, got ", kind(v)));
        }
    }

    void allowed(const json& obj,
                 const std::string& path,
                 std::initializer_list<const char*> keys) const
    {
        for (const auto& [key, value] : obj.items()) {
            bool known = false;
            for (const char* k : keys) {
                known = known || key == k;
            }
            if (!known) {
                std::string names;
                for (const char* k : keys) {
                    names += concat(names.empty() ? "" : ", ", k);
                }
                fail_at(child_path(path, key),
                        concat("unknown field '", key, "' (the fields here are ", names, ")"));
            }
        }
    }

    /// The field, or nullptr when it is absent or null.
    static const json* optional(const json& obj, const char* key)
    {
        const auto found = obj.find(key);
        return found == obj.end() || found->is_null() ? nullptr : &*found;
    }

    const json& required(const json& obj, const char* key, const std::string& path) const
    {
        const auto found = obj.find(key);
        if (found == obj.end()) {
            fail_at(path, concat("missing required field '", key, "'"));
        }
        if (found->is_null()) {
            fail_at(child_path(path, key), "is null, but it is required");
        }
        return *found;
    }

    /// Which of two spellings of a field the object uses (nullptr: neither).
    const char* alias(const json& obj,
                      const std::string& path,
                      const char* name,
                      const char* other) const
    {
        const bool has_name = obj.contains(name), has_other = obj.contains(other);
        if (has_name && has_other) {
            fail_at(child_path(path, other),
                    concat("give either '", name, "' or '", other, "', not both"));
        }
        return has_name ? name : has_other ? other : nullptr;
    }

    /// A string; integers (a column named 1) and booleans are taken as
    /// their text, as the published library does.
    std::string text(const json& v, const std::string& path) const
    {
        if (v.is_string()) {
            return v.get<std::string>();
        }
        if (v.is_number_integer() || v.is_boolean()) {
            return v.dump();
        }
        fail_at(path, concat("expected a string, got ", kind(v),
                             v.is_number() ? " (quote it to make it a string)" : ""));
    }

    const char** strings(const json& v, const std::string& path, size_t* count) const
    {
        list(v, path);
        std::vector<std::string> values;
        for (size_t i = 0; i < v.size(); ++i) {
            values.push_back(text(v[i], item_path(path, i)));
        }
        auto** out = zeroed<const char*>(v.size());
        *count = v.size();
        for (size_t i = 0; i < v.size(); ++i) {
            try {
                out[i] = copy_string(values[i]);
            } catch (...) {
                for (size_t k = 0; k < i; ++k) {
                    free_string(out[k]);
                }
                std::free(out);
                *count = 0;
                throw;
            }
        }
        return out;
    }

    bool flag(const json& v, const std::string& path) const
    {
        if (!v.is_boolean()) {
            fail_at(path, concat("expected true or false, got ", kind(v)));
        }
        return v.get<bool>();
    }

    bool flag_or(const json& obj, const char* key, const std::string& path, bool fallback) const
    {
        const json* v = optional(obj, key);
        return v ? flag(*v, child_path(path, key)) : fallback;
    }

    uint64_t unsigned_integer(const json& v, const std::string& path) const
    {
        if (v.is_number_unsigned()) {
            return v.get<uint64_t>();
        }
        if (v.is_number_integer()) {
            fail_at(path, concat("expected a non-negative integer, got ", shown(v)));
        }
        if (v.is_number_float()) {
            const double d = v.get<double>();
            if (std::isfinite(d) && d >= 0 && d == std::floor(d) && d < 18446744073709551616.0) {
                return uint64_t(d); // 4.0
            }
            fail_at(path, concat("expected a non-negative integer, got ", shown(v)));
        }
        if (v.is_string()) { // "12", as the published library reads it
            const auto s = v.get<std::string>();
            uint64_t value = 0;
            const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
            if (!s.empty() && error == std::errc() && end == s.data() + s.size()) {
                return value;
            }
        }
        fail_at(path, concat("expected a non-negative integer, got ", kind(v)));
    }

    template<typename T>
    T unsigned_value(const json& v, const std::string& path) const
    {
        const uint64_t value = unsigned_integer(v, path);
        if (value > std::numeric_limits<T>::max()) {
            fail_at(path, concat(value, " is out of range (at most ",
                                 uint64_t(std::numeric_limits<T>::max()), ")"));
        }
        return T(value);
    }

    template<typename T>
    T unsigned_or(const json& obj, const char* key, const std::string& path, T fallback) const
    {
        const json* v = optional(obj, key);
        return v ? unsigned_value<T>(*v, child_path(path, key)) : fallback;
    }

    double number(const json& v, const std::string& path) const
    {
        if (v.is_number()) {
            return v.get<double>();
        }
        if (v.is_string()) {
            const auto s = v.get<std::string>();
            if (is_float_literal(s)) {
                return std::strtod(s.c_str(), nullptr);
            }
        }
        fail_at(path, concat("expected a number, got ", kind(v)));
    }

    /// A name from `table`, in any case, with '-' or '_' between words.
    template<size_t N>
    int enumerated(const json& v,
                   const std::string& path,
                   const char* what,
                   const EnumName (&table)[N]) const
    {
        std::string names;
        for (const auto& entry : table) {
            names += concat(names.empty() ? "" : ", ", entry.name);
        }
        if (!v.is_string()) {
            fail_at(path, concat("expected a ", what, " name (", names, "), got ", kind(v)));
        }
        std::string s = v.get<std::string>();
        for (char& c : s) {
            c = c == '_' ? '-' : char(std::tolower(static_cast<unsigned char>(c)));
        }
        for (const auto& entry : table) {
            if (s == entry.name) {
                return entry.value;
            }
        }
        fail_at(path, concat("invalid ", what, " ", shown(v), " (expected one of ", names, ")"));
    }

    const Document& document_;
};

// ---- settings -> value -----------------------------------------------------

template<size_t N, typename Enum>
const char*
name_of(const Enum& value, const EnumName (&table)[N], const char* what, const std::string& path)
{
    const int raw = raw_enum(value);
    for (const auto& entry : table) {
        if (entry.value == raw) {
            return entry.name;
        }
    }
    fail(kInvalid, path, ": ", raw, " is not a ", what);
}

const char*
or_empty(const char* s)
{
    return s ? s : "";
}

json
dump_dimension(const ZarrDimensionProperties& d, const std::string& path)
{
    json j;
    j["name"] = or_empty(d.name);
    j["type"] = name_of(d.type, kDimensionTypes, "ZarrDimensionType", path + ".type");
    j["array_size_px"] = d.array_size_px;
    j["chunk_size_px"] = d.chunk_size_px;
    j["shard_size_chunks"] = d.shard_size_chunks;
    if (d.unit) {
        j["unit"] = d.unit;
    }
    if (!std::isfinite(d.scale)) {
        fail(kInvalid, path, ".scale: ", d.scale, " cannot be written (not a finite number)");
    }
    j["scale"] = d.scale;
    return j;
}

json
dump_array(const ZarrArraySettings& a, const std::string& path, bool with_output_key)
{
    json j;
    if (with_output_key && a.output_key) {
        j["output_key"] = a.output_key;
    }
    j["data_type"] = name_of(a.data_type, kDataTypes, "ZarrDataType", path + ".data_type");
    j["is_ngff"] = a.is_ngff;
    j["downsampling_method"] = name_of(a.downsampling_method, kMethods,
                                       "ZarrDownsamplingMethod", path + ".downsampling_method");
    if (raw_enum(a.downsampling_method) != ZarrDownsamplingMethod_None || a.max_levels != 0) {
        j["max_levels"] = a.max_levels;
    }
    if (a.compression_settings) {
        const auto& c = *a.compression_settings;
        const std::string cpath = path + ".compression";
        j["compression"] = {
            { "compressor", name_of(c.compressor, kCompressors, "ZarrCompressor", cpath + ".compressor") },
            { "codec", name_of(c.codec, kCodecs, "ZarrCompressionCodec", cpath + ".codec") },
            { "level", c.level },
            { "shuffle", c.shuffle },
        };
    }
    if (a.dimension_count && !a.dimensions) {
        fail(kInvalid, path, ".dimensions is NULL but dimension_count is ", a.dimension_count);
    }
    j["dimensions"] = json::array();
    for (size_t i = 0; i < a.dimension_count; ++i) {
        j["dimensions"].push_back(dump_dimension(a.dimensions[i], item_path(path + ".dimensions", i)));
    }
    if (a.storage_dimension_order) {
        auto order = json::array();
        for (size_t i = 0; i < a.dimension_count; ++i) {
            order.push_back(a.storage_dimension_order[i]);
        }
        j["storage_dimension_order"] = order;
    }
    return j;
}

json
dump_names(const char* const* names, size_t count, const std::string& path)
{
    if (count && !names) {
        fail(kInvalid, path, " is NULL but its count is ", count);
    }
    auto out = json::array();
    for (size_t i = 0; i < count; ++i) {
        out.push_back(or_empty(names[i]));
    }
    return out;
}

json
dump_plate(const ZarrHCSPlate& p, const std::string& path)
{
    json j;
    j["path"] = or_empty(p.path);
    if (p.name) {
        j["name"] = p.name;
    }
    j["row_names"] = dump_names(p.row_names, p.row_count, path + ".row_names");
    j["column_names"] = dump_names(p.column_names, p.column_count, path + ".column_names");
    if (p.acquisition_count) {
        if (!p.acquisitions) {
            fail(kInvalid, path, ".acquisitions is NULL but acquisition_count is ", p.acquisition_count);
        }
        auto acquisitions = json::array();
        for (size_t i = 0; i < p.acquisition_count; ++i) {
            const auto& a = p.acquisitions[i];
            json aj;
            aj["id"] = a.id;
            if (a.name) {
                aj["name"] = a.name;
            }
            if (a.description) {
                aj["description"] = a.description;
            }
            if (a.has_start_time) {
                aj["start_time"] = a.start_time;
            }
            if (a.has_end_time) {
                aj["end_time"] = a.end_time;
            }
            acquisitions.push_back(aj);
        }
        j["acquisitions"] = acquisitions;
    }
    if (p.well_count && !p.wells) {
        fail(kInvalid, path, ".wells is NULL but well_count is ", p.well_count);
    }
    j["wells"] = json::array();
    for (size_t i = 0; i < p.well_count; ++i) {
        const auto& w = p.wells[i];
        const std::string wpath = item_path(path + ".wells", i);
        if (w.image_count && !w.images) {
            fail(kInvalid, wpath, ".images is NULL but image_count is ", w.image_count);
        }
        json wj;
        wj["row_name"] = or_empty(w.row_name);
        wj["column_name"] = or_empty(w.column_name);
        wj["images"] = json::array();
        for (size_t k = 0; k < w.image_count; ++k) {
            const auto& f = w.images[k];
            json fj;
            fj["path"] = or_empty(f.path);
            if (f.has_acquisition_id) {
                fj["acquisition_id"] = f.acquisition_id;
            }
            if (f.array_settings) {
                fj["array"] = dump_array(*f.array_settings,
                                         item_path(wpath + ".images", k) + ".array", false);
            }
            wj["images"].push_back(fj);
        }
        j["wells"].push_back(wj);
    }
    return j;
}

// ---- value -> YAML text ----------------------------------------------------

/// Whether `s` may be written unquoted: it must read back as this string,
/// and hold nothing YAML gives a meaning to.
bool
plain_safe(const std::string& s)
{
    if (s.empty() || !resolve_plain(s, "").is_discarded()) {
        return false;
    }
    // YAML 1.1 readers (PyYAML) take yes/no/on/off for booleans and read
    // more forms of numbers (1_000, 0b1, 1:30): quote those too. A plain
    // string starts with a letter, '_', '/' or '('.
    std::string lower = s;
    for (char& c : lower) {
        c = char(std::tolower(static_cast<unsigned char>(c)));
    }
    if (matches(lower, { "yes", "no", "on", "off", "y", "n" })) {
        return false;
    }
    const auto ok_first = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '/' ||
               c == '(';
    };
    const auto ok = [&](char c) {
        return ok_first(c) || is_digit(c) || c == '.' || c == ' ' || c == '-' || c == ')' ||
               c == '+';
    };
    if (!ok_first(s.front()) || s.back() == ' ' || s.back() == ':') {
        return false;
    }
    for (size_t i = 0; i < s.size(); ++i) {
        // ':' only where YAML cannot take it for a key (never before a space)
        const bool colon = s[i] == ':' && s[i + 1] != ' ';
        if (!ok(s[i]) && !colon) {
            return false;
        }
    }
    return true;
}

std::string
scalar_text(const json& v)
{
    switch (v.type()) {
        case json::value_t::string: {
            const auto s = v.get<std::string>();
            // A JSON string literal is a valid YAML double-quoted scalar.
            return plain_safe(s) ? s : v.dump(-1, ' ', false, json::error_handler_t::replace);
        }
        case json::value_t::number_float: {
            const double d = v.get<double>();
            if (std::isnan(d)) {
                return ".nan";
            }
            if (std::isinf(d)) {
                return d < 0 ? "-.inf" : ".inf";
            }
            return v.dump();
        }
        default:
            return v.dump(); // integers, booleans, null
    }
}

bool
is_container(const json& v)
{
    return (v.is_object() || v.is_array()) && !v.empty();
}

void
emit(std::string& out, const json& v, int indent);

/// Emits the entries of a non-empty mapping; the first at the current
/// position (after "- " when inside a list), the others at `indent`.
void
emit_mapping(std::string& out, const json& v, int indent, bool first_inline)
{
    bool first = true;
    for (const auto& [key, value] : v.items()) {
        if (!(first && first_inline)) {
            out.append(size_t(indent), ' ');
        }
        first = false;
        out += plain_safe(key) ? key : json(key).dump();
        out += ":";
        if (is_container(value)) {
            out += "\n";
            emit(out, value, indent + 2);
        } else {
            out += " ";
            out += value.is_object() ? "{}" : value.is_array() ? "[]" : scalar_text(value);
            out += "\n";
        }
    }
}

void
emit(std::string& out, const json& v, int indent)
{
    if (v.is_object()) {
        emit_mapping(out, v, indent, false);
        return;
    }
    for (const auto& item : v) { // a non-empty list
        out.append(size_t(indent), ' ');
        out += "- ";
        if (item.is_object() && !item.empty()) {
            emit_mapping(out, item, indent + 2, true);
        } else if (item.is_array() && !item.empty()) {
            out += item.dump(); // flow style: JSON is YAML
            out += "\n";
        } else {
            out += item.is_object() ? "{}" : item.is_array() ? "[]" : scalar_text(item);
            out += "\n";
        }
    }
}

} // namespace

Document
parse(const std::string& text)
{
    Document document;
    TextParser(text, document).run();
    return document;
}

void
load(const Document& document, ZarrStreamSettings* out)
{
    Loader(document).stream(document.root, out);
}

namespace {
void
free_array_contents(ZarrArraySettings* a)
{
    if (!a) {
        return;
    }
    free_string(a->output_key);
    std::free(a->compression_settings);
    std::free(const_cast<size_t*>(a->storage_dimension_order));
    if (a->dimensions) {
        for (size_t i = 0; i < a->dimension_count; ++i) {
            free_string(a->dimensions[i].name);
            free_string(a->dimensions[i].unit);
        }
        std::free(a->dimensions);
    }
}

void
free_names(const char** names, size_t count)
{
    if (names) {
        for (size_t i = 0; i < count; ++i) {
            free_string(names[i]);
        }
        std::free(names);
    }
}
} // namespace

void
destroy_loaded(ZarrStreamSettings* s)
{
    free_string(s->store_path);
    if (s->s3_settings) {
        free_string(s->s3_settings->endpoint);
        free_string(s->s3_settings->bucket_name);
        free_string(s->s3_settings->region);
        std::free(s->s3_settings);
    }
    if (s->arrays) {
        for (size_t i = 0; i < s->array_count; ++i) {
            free_array_contents(&s->arrays[i]);
        }
        std::free(s->arrays);
    }
    if (s->hcs_settings) {
        auto* hcs = s->hcs_settings;
        for (size_t p = 0; hcs->plates && p < hcs->plate_count; ++p) {
            auto& plate = hcs->plates[p];
            free_string(plate.path);
            free_string(plate.name);
            free_names(plate.row_names, plate.row_count);
            free_names(plate.column_names, plate.column_count);
            for (size_t i = 0; plate.acquisitions && i < plate.acquisition_count; ++i) {
                free_string(plate.acquisitions[i].name);
                free_string(plate.acquisitions[i].description);
            }
            std::free(plate.acquisitions);
            for (size_t w = 0; plate.wells && w < plate.well_count; ++w) {
                auto& well = plate.wells[w];
                free_string(well.row_name);
                free_string(well.column_name);
                for (size_t k = 0; well.images && k < well.image_count; ++k) {
                    free_string(well.images[k].path);
                    free_array_contents(well.images[k].array_settings);
                    std::free(well.images[k].array_settings);
                }
                std::free(well.images);
            }
            std::free(plate.wells);
        }
        std::free(hcs->plates);
        std::free(hcs);
    }
    std::memset(s, 0, sizeof *s);
}

json
dump(const ZarrStreamSettings& s)
{
    json doc;
    doc["version"] = kSchemaVersion;
    doc["store_path"] = or_empty(s.store_path);
    doc["overwrite"] = s.overwrite;
    doc["max_threads"] = s.max_threads;
    const int zarr_version = raw_enum(s.version);
    if (zarr_version != 0 && zarr_version != ZarrVersion_2 && zarr_version != ZarrVersion_3) {
        fail(kInvalid, "version: ", zarr_version, " is not a ZarrVersion");
    }
    if (zarr_version == ZarrVersion_2) {
        doc["zarr_version"] = 2; // this library's extension; 3 is the default
    }
    if (s.s3_settings) {
        const auto& s3 = *s.s3_settings;
        doc["s3"] = { { "endpoint", or_empty(s3.endpoint) },
                      { "bucket_name", or_empty(s3.bucket_name) } };
        if (s3.region) {
            doc["s3"]["region"] = s3.region;
        }
    }
    if (s.array_count) {
        if (!s.arrays) {
            fail(kInvalid, "arrays is NULL but array_count is ", s.array_count);
        }
        doc["arrays"] = json::array();
        for (size_t i = 0; i < s.array_count; ++i) {
            doc["arrays"].push_back(dump_array(s.arrays[i], item_path("arrays", i), true));
        }
    }
    if (s.hcs_settings && s.hcs_settings->plate_count) {
        if (!s.hcs_settings->plates) {
            fail(kInvalid, "hcs_settings->plates is NULL but plate_count is ",
                 s.hcs_settings->plate_count);
        }
        doc["plates"] = json::array();
        for (size_t i = 0; i < s.hcs_settings->plate_count; ++i) {
            doc["plates"].push_back(dump_plate(s.hcs_settings->plates[i], item_path("plates", i)));
        }
    }
    return doc;
}

std::string
to_yaml(const json& value)
{
    if (!is_container(value)) {
        return (value.is_object() ? "{}" : value.is_array() ? "[]" : scalar_text(value)) +
               std::string("\n");
    }
    std::string out;
    emit(out, value, 0);
    return out;
}

std::string
to_json(const json& value)
{
    return value.dump(2, ' ', false, json::error_handler_t::replace);
}

} // namespace zarr::settings_document
