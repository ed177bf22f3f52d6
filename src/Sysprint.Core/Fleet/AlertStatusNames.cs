namespace Sysprint.Fleet;

/// <summary>The names of <see cref="AlertStatus"/> in the API, the database and the console: <c>new</c>, <c>acknowledged</c>, <c>dismissed</c>.</summary>
public static class AlertStatusNames
{
    public const string New = "new";

    public const string Acknowledged = "acknowledged";

    public const string Dismissed = "dismissed";

    /// <summary>Every name, in the order of <see cref="AlertStatus"/>.</summary>
    public static IReadOnlyList<string> All { get; } = [New, Acknowledged, Dismissed];

    public static string Name(AlertStatus status) => status switch
    {
        AlertStatus.New => New,
        AlertStatus.Acknowledged => Acknowledged,
        _ => Dismissed,
    };

    /// <summary>The status named <paramref name="name"/>, or false.</summary>
    public static bool TryParse(string? name, out AlertStatus status)
    {
        switch (name)
        {
            case New:
                status = AlertStatus.New;
                return true;
            case Acknowledged:
                status = AlertStatus.Acknowledged;
                return true;
            case Dismissed:
                status = AlertStatus.Dismissed;
                return true;
            default:
                status = AlertStatus.New;
                return false;
        }
    }
}
