#include "tls_pem.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace gantry::tls {
namespace {

// Never prompt on the terminal for a pass phrase.
int no_password(char*, int, int, void*) { return 0; }

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr mem_bio(const std::string& data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string bio_text(BIO* bio) {
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  return n > 0 ? std::string(p, static_cast<size_t>(n)) : std::string();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string asn1_time_text(const ASN1_TIME* t) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(bio.get(), t);
  return bio_text(bio.get());
}

bool load_chain(const std::string& pem, const FileRef& file, Reporter& rep, LoadedCert* out) {
  BioPtr bio = mem_bio(pem);
  out->leaf.reset(PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr));
  if (!out->leaf) {
    ERR_clear_error();
    rep.error(file.at, "no PEM certificate in '" + file.path + "'");
    return false;
  }
  out->chain.reset(sk_X509_new_null());
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr)) {
    sk_X509_push(out->chain.get(), x);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  return true;
}

bool load_key(const std::string& pem, const FileRef& file, bool key_in_cert, Reporter& rep,
              LoadedCert* out) {
  BioPtr bio = mem_bio(pem);
  out->key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
  if (!out->key) {
    std::string why = take_ssl_errors();
    std::string msg = key_in_cert ? "no private key in '" + file.path + "' (set 'key')"
                                  : "cannot read private key '" + file.path + "'";
    if (pem.find("ENCRYPTED") != std::string::npos)
      msg += ": encrypted keys are not supported";
    else if (!why.empty())
      msg += ": " + why;
    rep.error(file.at, msg);
    return false;
  }
  return true;
}

void check_validity(const LoadedCert& c, const FileRef& file, Reporter& rep) {
  const ASN1_TIME* not_after = X509_get0_notAfter(c.leaf.get());
  const ASN1_TIME* not_before = X509_get0_notBefore(c.leaf.get());
  if (not_after != nullptr && X509_cmp_current_time(not_after) < 0) {
    rep.warn(file.at, "certificate '" + file.path + "' expired on " + asn1_time_text(not_after));
  } else if (not_before != nullptr && X509_cmp_current_time(not_before) > 0) {
    rep.warn(file.at,
             "certificate '" + file.path + "' is not valid before " + asn1_time_text(not_before));
  }
}

}  // namespace

bool read_file(const std::string& path, std::string* out, std::string* why) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    *why = std::strerror(errno);
    return false;
  }
  out->clear();
  char buf[16384];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  bool ok = !std::ferror(f);
  if (!ok) *why = std::strerror(errno);
  std::fclose(f);
  return ok;
}

std::vector<std::string> cert_names(X509* x) {
  std::vector<std::string> names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    for (size_t i = 0; i < static_cast<size_t>(sk_GENERAL_NAME_num(sans)); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      if (gn->type != GEN_DNS) continue;
      const ASN1_STRING* s = gn->d.dNSName;
      names.push_back(lower(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                        static_cast<size_t>(ASN1_STRING_length(s)))));
    }
    GENERAL_NAMES_free(sans);
  }
  if (names.empty()) {
    // Legacy certificates without SAN: fall back to the subject's CN.
    char cn[256];
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    if (n > 0) names.push_back(lower(std::string(cn, static_cast<size_t>(n))));
  }
  return names;
}

std::string subject_line(X509* x) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
  return bio_text(bio.get());
}

int64_t not_after_unix(X509* x) {
  // ASN1_TIME_diff from the epoch: both libraries have it (BoringSSL has no
  // ASN1_TIME_to_tm).
  ASN1_TIME* epoch = ASN1_TIME_set(nullptr, 0);
  int days = 0, secs = 0;
  bool ok = epoch != nullptr && ASN1_TIME_diff(&days, &secs, epoch, X509_get0_notAfter(x)) == 1;
  ASN1_TIME_free(epoch);
  return ok ? static_cast<int64_t>(days) * 86400 + secs : 0;
}

bool load_cert(const CertSpec& spec, Reporter& rep, LoadedCert* out) {
  std::string pem, why;
  if (!read_file(spec.cert.path, &pem, &why)) {
    rep.error(spec.cert.at, "cannot read certificate '" + spec.cert.path + "': " + why);
    return false;
  }
  if (!load_chain(pem, spec.cert, rep, out)) return false;
  if (spec.key.empty()) {
    if (!load_key(pem, spec.cert, true, rep, out)) return false;
  } else {
    std::string key_pem;
    if (!read_file(spec.key.path, &key_pem, &why)) {
      rep.error(spec.key.at, "cannot read private key '" + spec.key.path + "': " + why);
      return false;
    }
    if (!load_key(key_pem, spec.key, false, rep, out)) return false;
  }
  if (X509_check_private_key(out->leaf.get(), out->key.get()) != 1) {
    ERR_clear_error();
    const FileRef& at = spec.key.empty() ? spec.cert : spec.key;
    rep.error(at.at,
              "private key '" + at.path + "' does not match certificate '" + spec.cert.path + "'");
    return false;
  }
  int type = EVP_PKEY_id(out->key.get());
  if (type != EVP_PKEY_EC && type != EVP_PKEY_RSA) {
    rep.error(spec.cert.at,
              "certificate '" + spec.cert.path + "': only RSA and ECDSA keys are supported");
    return false;
  }
  out->ecdsa = type == EVP_PKEY_EC;
  out->names = cert_names(out->leaf.get());
  if (!spec.ocsp.empty() && !read_file(spec.ocsp.path, &out->ocsp, &why)) {
    rep.error(spec.ocsp.at, "cannot read OCSP response '" + spec.ocsp.path + "': " + why);
    return false;
  }
  if (!spec.ocsp.empty() && out->ocsp.empty()) {
    rep.error(spec.ocsp.at, "OCSP response file '" + spec.ocsp.path + "' is empty");
    return false;
  }
  check_validity(*out, spec.cert, rep);
  return true;
}

}  // namespace gantry::tls
