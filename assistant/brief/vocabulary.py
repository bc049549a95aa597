"""The words the entity finder reads names by: titles, role and organisation nouns, the
capitalised words of organisations and places. English news vocabulary, chosen on the seed
article and the BBC articles; a word missing here leaves a name unclassified (left out),
never misread."""

from __future__ import annotations

TITLES = frozenset(
    """President Vice Prime Minister Chancellor Secretary Mr Mrs Ms Miss Dr Prof Professor Sir
    Dame Lord Lady King Queen Prince Princess Pope Rev Gen General Lt Col Colonel Maj Major Capt
    Captain Sgt Sergeant Adm Admiral Cmdr Commander Gov Governor Sen Senator Rep Judge Justice
    Ambassador Chairman Chairwoman Chief Commissioner Mayor Chancellor Archbishop Bishop
    Sheikh""".split()
)
HONORIFICS = frozenset("Mr Mrs Ms Miss Dr Sir Dame Lord Lady".split())
# Words for what a person is, written before a name ("journalist Gideon Rachman") or in an
# appositive after it ("Charlie Dietz, a spokesperson for ...").
ROLE_NOUNS = frozenset(
    """journalist reporter correspondent editor columnist writer author spokesperson spokesman
    spokeswoman analyst economist strategist minister secretary chairman chairwoman chair
    president executive director manager boss head founder owner officer commander general
    leader official ambassador envoy diplomat governor senator mp lawmaker candidate coach
    striker player midfielder defender goalkeeper winger captain champion singer actor actress
    star musician rapper comedian presenter host producer designer artist lawyer attorney judge
    prosecutor professor researcher scientist expert investor trader banker chancellor premier
    king queen prince chief colonel inventor entrepreneur engineer surgeon doctor nurse
    teacher pilot architect chancellor""".split()
)
# Words for what an organisation is, in an appositive ("Yukos, the Russian oil firm").
ORG_NOUNS = frozenset(
    """firm company group giant maker carrier airline bank retailer operator broadcaster
    network agency regulator body union party club team side band newspaper publisher
    studio label chain insurer lender manufacturer supplier developer provider""".split()
)
# Capitalised words that make a run an organisation ...
ORG_WORDS = frozenset(
    """Department Ministry Fleet Parliament Times Bank Inc Ltd Plc PLC Group Agency Council
    Commission Party Union Corporation Corp Company Co Association Committee Court Army Navy
    Forces Force Office Police University Institute Organisation Organization Federation League
    Club FC United Airways Airlines Motors News Post Journal Fund Exchange Authority Service
    Services Board Trust Foundation Reserve Senate Congress Cabinet Government Embassy Assembly
    Bureau Network Records Studios Pictures Media Telecom Systems Technologies Holdings Partners
    Capital Securities Insurance Energy Petroleum Railways Guardian Telegraph Herald Tribune
    Commons Lords Treasury Pentagon Kremlin""".split()
)
# ... or a place.
PLACE_WORDS = frozenset(
    """Peninsula Sea Ocean River Mountains Mountain Valley Island Islands Gulf Bay Lake Strait
    Coast East West Street Square Province Region Republic Kingdom States County Heights
    Desert Canal""".split()
)
# Lower-case words after a name that make it an organisation ("Yukos shares").
ORG_FOLLOWERS = frozenset(
    """unit units subsidiary division shares shareholders spokesman spokeswoman spokesperson
    chief boss executives chairman board lawyers management staff employees customers stake
    bid brand products profits revenues""".split()
)
PLACE_NOUNS = frozenset(
    "region province city capital coast border county town village district state oblast".split()
)

COUNTRY_ACRONYMS = frozenset(["US", "U.S", "U.S.", "UK", "U.K", "U.K.", "USA", "UAE"])
