"""The worker's expected failures: bad input becomes an error reply with a code, never an exit."""


class BadInput(Exception):
    def __init__(self, message, code="BAD_INPUT"):
        Exception.__init__(self, message)
        self.code = code
