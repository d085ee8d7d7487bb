def thai_first(get_response):
    """Thai unless the user picked English: the browser's Accept-Language is not consulted.

    Officers on English-language browsers still get the Thai interface their colleagues use; the language
    menu (a cookie) is the only way to English.
    """

    def middleware(request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return get_response(request)

    return middleware
