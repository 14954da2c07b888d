/**
 * Weekday and time-of-day access: contractors (app_metadata.roles contains "contractor") may log
 * in only on business days during business hours, in the company's time zone.
 *   configuration.BUSINESS_DAYS    ISO weekdays, comma-separated ("1,2,3,4,5" = Monday–Friday)
 *   configuration.BUSINESS_HOURS   "08:00-18:00" (start inclusive, end exclusive)
 *   configuration.BUSINESS_UTC_OFFSET  "+01:00"
 */
function contractorBusinessHours(user, context, callback) {
  var moment = require('moment');
  var roles = (user.app_metadata && user.app_metadata.roles) || [];
  if (roles.indexOf('contractor') === -1) {
    return callback(null, user, context);
  }

  var now = moment().utcOffset(configuration.BUSINESS_UTC_OFFSET || '+00:00');
  var days = (configuration.BUSINESS_DAYS || '1,2,3,4,5').split(',').map(Number);
  var hours = (configuration.BUSINESS_HOURS || '08:00-18:00').split('-');
  var minutes = now.hours() * 60 + now.minutes();
  function toMinutes(hhmm) {
    var parts = hhmm.split(':');
    return Number(parts[0]) * 60 + Number(parts[1] || 0);
  }

  if (days.indexOf(now.isoWeekday()) === -1) {
    return callback(new UnauthorizedError('Contractor access is not available on ' + now.format('dddd') + '.'));
  }
  if (minutes < toMinutes(hours[0]) || minutes >= toMinutes(hours[1])) {
    return callback(new UnauthorizedError('Contractor access is only available from ' + hours[0] + ' to ' + hours[1] + ' (' + now.format('HH:mm Z') + ' now).'));
  }
  context.accessToken[configuration.CLAIM_NAMESPACE + 'session_ends'] = now.clone().startOf('day').add(toMinutes(hours[1]), 'minutes').toISOString();
  callback(null, user, context);
}
