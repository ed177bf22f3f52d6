using System.Globalization;

namespace Sysprint.Storage.Sqlite;

/// <summary>
/// Times as the store keeps them: ISO-8601 round-trip text in UTC
/// (<c>2025-03-01T09:30:00.0000000+00:00</c>), so every row sorts as text and reads the same in
/// any database.
/// </summary>
internal static class StoreTime
{
    public static string Format(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    public static bool TryParse(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
}
