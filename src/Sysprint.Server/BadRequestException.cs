namespace Sysprint.Server;

/// <summary>A request whose content is wrong: answered with <see cref="Status"/> and the message, never logged as a server fault.</summary>
internal sealed class BadRequestException(string message, int status = 400) : Exception(message)
{
    public int Status { get; } = status;
}
