from test_security import *  # noqa
def test_dbg(cell_bot):
    said = reply_text(cell_bot, cell_bot.command(MARK, "/digest", "all"))
    print(said)
    said = reply_text(cell_bot, cell_bot.command(PRIYA, "/digest", "all"))
    print("=====PRIYA", "Kwame" in said)
