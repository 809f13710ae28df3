#include "wimpu/diameter/cx_messages.hpp"

#include <string>
#include <type_traits>

namespace wimpu::diameter {
namespace {

std::string_view result_name(ResultCode r) {
  if (r.vendor_id == 0) {
    switch (r.value) {
      case 2001: return "DIAMETER_SUCCESS";
      case 3001: return "DIAMETER_COMMAND_UNSUPPORTED";
      case 3002: return "DIAMETER_UNABLE_TO_DELIVER";
      case 3003: return "DIAMETER_REALM_NOT_SERVED";
      case 3004: return "DIAMETER_TOO_BUSY";
      case 3007: return "DIAMETER_APPLICATION_UNSUPPORTED";
      case 5001: return "DIAMETER_AVP_UNSUPPORTED";
      case 5003: return "DIAMETER_AUTHORIZATION_REJECTED";
      case 5004: return "DIAMETER_INVALID_AVP_VALUE";
      case 5005: return "DIAMETER_MISSING_AVP";
      case 5012: return "DIAMETER_UNABLE_TO_COMPLY";
      default: return "";
    }
  }
  if (r.vendor_id == k3gppVendorId) {
    switch (r.value) {
      case 2001: return "DIAMETER_FIRST_REGISTRATION";
      case 2002: return "DIAMETER_SUBSEQUENT_REGISTRATION";
      case 2003: return "DIAMETER_UNREGISTERED_SERVICE";
      case 2004: return "DIAMETER_SUCCESS_SERVER_NAME_NOT_STORED";
      case 5001: return "DIAMETER_ERROR_USER_UNKNOWN";
      case 5002: return "DIAMETER_ERROR_IDENTITIES_DONT_MATCH";
      case 5003: return "DIAMETER_ERROR_IDENTITY_NOT_REGISTERED";
      case 5004: return "DIAMETER_ERROR_ROAMING_NOT_ALLOWED";
      case 5005: return "DIAMETER_ERROR_IDENTITY_ALREADY_REGISTERED";
      case 5006: return "DIAMETER_ERROR_AUTH_SCHEME_NOT_SUPPORTED";
      case 5007: return "DIAMETER_ERROR_IN_ASSIGNMENT_TYPE";
      case 5008: return "DIAMETER_ERROR_TOO_MUCH_DATA";
      case 5009: return "DIAMETER_ERROR_NOT_SUPPORTED_USER_DATA";
      case 5011: return "DIAMETER_ERROR_FEATURE_UNSUPPORTED";
      default: return "";
    }
  }
  return "";
}

}  // namespace

std::string to_string(ResultCode result) {
  std::string out(result_name(result));
  if (out.empty()) {
    out = "UNKNOWN";
  }
  out += " (";
  out += std::to_string(result.vendor_id);
  out += ':';
  out += std::to_string(result.value);
  out += ')';
  return out;
}

std::string_view to_string(CxCommand command, bool request) noexcept {
  switch (command) {
    case CxCommand::kUserAuthorization: return request ? "UAR" : "UAA";
    case CxCommand::kServerAssignment: return request ? "SAR" : "SAA";
    case CxCommand::kLocationInfo: return request ? "LIR" : "LIA";
    case CxCommand::kMultimediaAuth: return request ? "MAR" : "MAA";
  }
  return request ? "XXR" : "XXA";
}

CxCommand command_of(const CxRequest& request) {
  return static_cast<CxCommand>(300 + request.index());
}

CxCommand command_of(const CxAnswer& answer) { return static_cast<CxCommand>(300 + answer.index()); }

CxAnswer error_answer_for(const CxRequest& request, ResultCode result) {
  return std::visit(
      [result](const auto& r) -> CxAnswer {
        AnswerFor_t<std::decay_t<decltype(r)>> answer;
        answer.result = result;
        return answer;
      },
      request);
}

CxAnswer error_answer_for(CxCommand command, ResultCode result) {
  switch (command) {
    case CxCommand::kUserAuthorization: {
      UserAuthorizationAnswer a;
      a.result = result;
      return a;
    }
    case CxCommand::kServerAssignment: {
      ServerAssignmentAnswer a;
      a.result = result;
      return a;
    }
    case CxCommand::kMultimediaAuth: {
      MultimediaAuthAnswer a;
      a.result = result;
      return a;
    }
    case CxCommand::kLocationInfo: break;
  }
  LocationInfoAnswer a;
  a.result = result;
  return a;
}

}  // namespace wimpu::diameter
