"""The signed-in person's workspace: the home page, the dashboard, the navigation facts.

The top layer: it gathers what every other app offers (a caseload, a client's own record,
the open safety alerts) into the pages a person lands on, so no lower app needs to know
about the others.
"""
