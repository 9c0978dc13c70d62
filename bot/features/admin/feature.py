"""System and committee administration, in chat and as `hocbac admin …`."""

from bot.features.admin.cli import register
from bot.features.admin.handlers import router
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine

FEATURE = Feature(
    name="admin",
    routers=(router,),
    cli=(register,),
    help=(
        HelpLine("quantri", "committee", main=("committee",)),
        HelpLine("dsdonvi", "committee", main=("committee",)),
        HelpLine("taodangbo", "committee"),
        HelpLine("taochibo", "committee", main=("committee",)),
        HelpLine("moibithu", "committee", main=("committee",)),
        HelpLine("moiphobithu", "committee", main=("committee",)),
        HelpLine("moicapuy", "committee"),
        HelpLine("thuhoima", "branch"),
    ),
    catalog="core",
)
